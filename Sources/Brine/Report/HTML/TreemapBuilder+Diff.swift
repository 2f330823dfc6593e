extension TreemapBuilder {
    /// Two versions merged into one tree keyed as `brine diff` keys its lines: values are
    /// [after, before], so the page sizes cells by the new version (or the old one) and colours
    /// them by the change.
    public static func diff(before: BundleMember, after: BundleMember, oldName: String, newName: String) -> TreemapNode {
        var root = merge(sized(before, root: before.path), sized(after, root: after.path))
        root.name = "\(oldName) → \(newName)"
        return root
    }

    /// One version as a tree of (key, name, type, bytes).
    private struct Sized {
        var key: String
        var name: String
        var type: String
        var bytes: UInt64
        var children: [Sized]
    }

    private static func sized(_ member: BundleMember, root: String) -> Sized {
        var key = String(member.path.dropFirst(min(root.count, member.path.count)))
        while key.hasPrefix("/") { key.removeFirst() }
        let name = key.isEmpty ? member.path : String(key.split(whereSeparator: { $0 == "/" || $0 == "!" }).last ?? Substring(key))
        var node = Sized(key: key, name: name, type: member.format ?? member.kind.rawValue, bytes: member.bytes,
                         children: member.children.map { sized($0, root: root) })
        if let attributes = member.attributes {
            // Attributes come in preorder with their depth; depth 0 is the artifact itself.
            var stack: [(depth: Int, node: Sized)] = [(0, node)]
            func pop() {
                let (_, done) = stack.removeLast()
                stack[stack.count - 1].node.children.append(done)
            }
            for attribute in attributes where attribute.depth > 0 && !attribute.path.isEmpty {
                while stack.count > 1 && stack[stack.count - 1].depth >= attribute.depth { pop() }
                let parentPath = stack.count > 1 ? stack[stack.count - 1].node.key.components(separatedBy: ":: ").last ?? "" : ""
                var label = attribute.path.hasPrefix(parentPath) ? String(attribute.path.dropFirst(parentPath.count)) : attribute.path
                if label.hasPrefix(".") { label.removeFirst() }
                let attributeKey = (key.isEmpty ? "" : key + " ") + ":: " + attribute.path
                stack.append((attribute.depth, Sized(key: attributeKey, name: label, type: attribute.type, bytes: attribute.bytes, children: [])))
            }
            while stack.count > 1 { pop() }
            node = stack[0].node
            combineRepeatedKeys(&node)
        }
        return node
    }

    /// Set elements share one path (`stop_words_{}`): one cell holds them all, so the two
    /// versions compare as the diff's text does.
    private static func combineRepeatedKeys(_ node: inout Sized) {
        var seen: [String: Int] = [:]
        var combined: [Sized] = []
        var counts: [Int] = []
        for child in node.children {
            if let index = seen[child.key] {
                combined[index].bytes &+= child.bytes
                combined[index].children += child.children
                counts[index] += 1
            } else {
                seen[child.key] = combined.count
                combined.append(child)
                counts.append(1)
            }
        }
        for index in combined.indices {
            if counts[index] > 1 { combined[index].name += " (\(counts[index]) elements)" }
            combineRepeatedKeys(&combined[index])
        }
        node.children = combined
    }

    private static func merge(_ old: Sized?, _ new: Sized?) -> TreemapNode {
        let any = (new ?? old)!
        var node = TreemapNode(name: any.name, path: any.key, kind: any.children.isEmpty ? typeKind(any.type) : .object,
                               values: [new?.bytes ?? 0, old?.bytes ?? 0], type: any.type)
        var oldChildren: [String: Sized] = [:]
        for child in old?.children ?? [] { oldChildren[child.key] = child }
        for child in new?.children ?? [] {
            node.children.append(merge(oldChildren.removeValue(forKey: child.key), child))
        }
        for child in (old?.children ?? []) where oldChildren[child.key] != nil {
            node.children.append(merge(child, nil))
        }
        for index in node.values.indices {
            node.values[index] = max(node.values[index], node.children.reduce(0) { $0 &+ $1.values[index] })
        }
        sortChildren(&node)
        return node
    }
}

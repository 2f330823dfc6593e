import Foundation

/// A report as one self-contained HTML page: a zoomable treemap, its legend, and a table of
/// findings or changes linked to it. CSS, script and data are inline; the page loads nothing.
public struct HTMLReport: Sendable {
    public enum Mode: String, Sendable { case kinds, diff }

    public struct Row: Sendable, Equatable {
        public var cells: [String]
        /// Path of the treemap cell the row points at.
        public var node: String?
        /// Cell indexes shown as code.
        public var code: Set<Int> = []
        public var tone: String?

        public init(cells: [String], node: String?, code: Set<Int> = [], tone: String? = nil) {
            self.cells = cells
            self.node = node
            self.code = code
            self.tone = tone
        }
    }

    public var title: String
    /// Lines under the title: totals, limit, verdict.
    public var facts: [String]
    /// Names of the metrics in `TreemapNode.values`, in order.
    public var metrics: [String]
    public var mode: Mode
    public var root: TreemapNode
    public var tableTitle: String
    public var columns: [String]
    public var rows: [Row]
    public var emptyTable: String
    /// Budget: the measured size as a fraction of the limit, drawn as a gauge.
    public var gauge: Double?

    public init(title: String, facts: [String], metrics: [String], mode: Mode = .kinds, root: TreemapNode,
                tableTitle: String, columns: [String], rows: [Row], emptyTable: String) {
        self.title = title
        self.facts = facts
        self.metrics = metrics
        self.mode = mode
        self.root = root
        self.tableTitle = tableTitle
        self.columns = columns
        self.rows = rows
        self.emptyTable = emptyTable
    }

    public func render() -> String {
        let tree = root.bounded()
        var data = "{\"metrics\":" + Self.json(metrics) + ",\"mode\":\"" + mode.rawValue + "\",\"root\":" + Self.json(tree) + "}"
        // Inside <script> only `</` can end the element early.
        data = data.replacingAll("</", "<\\/")
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<link rel=\"icon\" href=\"data:,\">\n"
        // No network: the policy forbids every fetch, so a report cannot phone home even if edited.
        out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
        out += "<title>" + Self.escape(title) + "</title>\n<style>" + HTMLAssets.css + "</style>\n</head>\n<body>\n"
        out += "<header><h1>" + Self.escape(title) + "</h1>\n"
        for fact in facts { out += "<p class=\"fact\">" + Self.escape(fact) + "</p>\n" }
        if let gauge {
            let width = ByteFormat.fixed(min(1, max(0, gauge)) * 100, decimals: 1)
            out += "<div class=\"gauge\(gauge > 1 ? " over" : "")\" title=\"\(ByteFormat.fixed(gauge * 100, decimals: 1))% of the limit\"><i style=\"width:\(width)%\"></i></div>\n"
        }
        out += "</header>\n<nav id=\"controls\"><div id=\"crumbs\"></div>"
        if metrics.count > 1 {
            out += "<div id=\"metric\" role=\"radiogroup\">"
            for (index, metric) in metrics.enumerated() {
                out += "<label><input type=\"radio\" name=\"metric\" value=\"\(index)\"\(index == 0 ? " checked" : "")> " + Self.escape(metric) + "</label>"
            }
            out += "</div>"
        }
        out += "</nav>\n<div id=\"map\" role=\"img\" aria-label=\"treemap\"></div>\n<div id=\"legend\">"
        if mode == .diff {
            for (tone, label) in [("grow", "grew"), ("new", "new"), ("shrink", "shrank"), ("gone", "gone"), ("same", "unchanged")] {
                out += "<span><i class=\"d-\(tone)\"></i>\(label)</span>"
            }
        } else {
            for kind in TreemapKind.allCases where Self.contains(tree, kind) {
                out += "<span><i class=\"k-\(kind.rawValue)\"></i>" + Self.escape(kind.label) + "</span>"
            }
        }
        out += "<span><i class=\"own\"></i>own bytes (names, opcodes, headers)</span>"
        out += "</div>\n<div id=\"tip\" hidden></div>\n<section><h2>" + Self.escape(tableTitle) + "</h2>\n"
        if rows.isEmpty {
            out += "<p class=\"empty\">" + Self.escape(emptyTable) + "</p>\n"
        } else {
            out += "<table id=\"rows\"><thead><tr>" + columns.map { "<th>" + Self.escape($0) + "</th>" }.joined() + "</tr></thead><tbody>\n"
            for row in rows {
                out += "<tr" + (row.node.map { " data-node=\"" + Self.escape($0) + "\" tabindex=\"0\"" } ?? "") + (row.tone.map { " class=\"" + $0 + "\"" } ?? "") + ">"
                for (index, cell) in row.cells.enumerated() {
                    out += row.code.contains(index) && !cell.isEmpty ? "<td><code>" + Self.escape(cell) + "</code></td>" : "<td>" + Self.escape(cell) + "</td>"
                }
                out += "</tr>\n"
            }
            out += "</tbody></table>\n"
        }
        out += "</section>\n<footer>Made by brine without running the artifact; sizes as the text report counts them.</footer>\n"
        out += "<script type=\"application/json\" id=\"brine-data\">" + data + "</script>\n"
        out += "<script>" + HTMLAssets.script + "</script>\n</body>\n</html>\n"
        return out
    }

    private static func contains(_ node: TreemapNode, _ kind: TreemapKind) -> Bool {
        node.kind == kind || node.children.contains { contains($0, kind) }
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    static func escape(_ text: String) -> String {
        text.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;").replacingAll("\"", "&quot;")
    }
}

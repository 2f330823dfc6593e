import Foundation

/// JSON the way `brine inspect --format json` writes it (sorted keys).
enum JSONEncoderBridge {
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }
}

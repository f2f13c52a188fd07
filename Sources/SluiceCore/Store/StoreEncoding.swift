import Foundation

/// How every engine stores what has no column type of its own: times as milliseconds since 1970,
/// settings as JSON text, labels as JSON text. Shared so that both engines hold the same values.
extension Store {
    public static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    public static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }
    public static func json(_ object: [String: JSONValue]) -> String {
        String(decoding: JSONWriter.encode(.object(object)), as: UTF8.self)
    }
    /// A stored settings object; a value that is not an object reads as empty.
    public static func object(_ text: String) -> [String: JSONValue] {
        (try? JSONValue.parse(text))?.objectValue ?? [:]
    }
    public static func labelsJSON(_ labels: [Label]) -> String {
        (try? String(decoding: JSONEncoder().encode(labels), as: UTF8.self)) ?? "[]"
    }
    public static func labels(_ text: String) -> [Label] {
        (try? JSONDecoder().decode([Label].self, from: Data(text.utf8))) ?? []
    }
}

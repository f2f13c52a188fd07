import Foundation
import SluiceCore

/// The event a command works on: a JSON object from `--event FILE`, or from standard input. Exits 2 with a message
/// naming `command` when it cannot be read.
enum EventInput {
    static func read(_ path: String?, command: String) -> JSONValue {
        let data: Data
        if let path {
            guard let contents = FileManager.default.contents(atPath: path) else { fail(command, "cannot read \(path)") }
            data = contents
        } else {
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(Array(data))
        } catch {
            fail(command, "the event is not valid JSON: \(error.description)")
        }
        guard case .object = value else { fail(command, "the event must be a JSON object") }
        return value
    }

    /// Writes `sluice <command>: <message>` to standard error and exits 2.
    static func fail(_ command: String, _ message: String) -> Never {
        FileHandle.standardError.write(Data("sluice \(command): \(message)\n".utf8))
        Foundation.exit(2)
    }
}

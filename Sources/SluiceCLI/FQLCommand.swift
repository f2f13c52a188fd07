import ArgumentParser
import Foundation
import SluiceCore

/// `sluice fql eval 'TRIGGER' [--event FILE]`: does this event match this trigger?
struct FQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fql", abstract: "Work with subscription triggers (Segment's FQL).", subcommands: [Eval.self])

    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print true or false: whether the event matches the trigger.",
            discussion: "Reads the event JSON from --event FILE, or from standard input. Exits 2 when the trigger or the event cannot be read.")

        @Argument(help: "The trigger, e.g. 'type = \"track\" and event = \"Order Completed\"'.") var trigger: String
        @Option(help: "A file holding the event as JSON (default: standard input).") var event: String?

        func run() throws {
            let parsed: Trigger
            do {
                parsed = try Trigger(parsing: trigger)
            } catch {
                fail("invalid trigger: \(error.message)")
            }
            let data: Data
            if let event {
                guard let contents = FileManager.default.contents(atPath: event) else { fail("cannot read \(event)") }
                data = contents
            } else {
                data = FileHandle.standardInput.readDataToEndOfFile()
            }
            let value: JSONValue
            do {
                value = try JSONValue.parse(Array(data))
            } catch {
                fail("the event is not valid JSON: \(error.description)")
            }
            guard case .object = value else { fail("the event must be a JSON object") }
            print(parsed.matches(value) ? "true" : "false")
        }

        private func fail(_ message: String) -> Never {
            FileHandle.standardError.write(Data("sluice fql: \(message)\n".utf8))
            Foundation.exit(2)
        }
    }
}

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
                EventInput.fail("fql", "invalid trigger: \(error.message)")
            }
            let input = EventInput.read(event, command: "fql")
            if let note = parsed.segmentReadingNote {
                FileHandle.standardError.write(Data("sluice fql: note: \(note)\n".utf8))
            }
            print(parsed.matches(input) ? "true" : "false")
        }
    }
}

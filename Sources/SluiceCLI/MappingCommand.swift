import ArgumentParser
import Foundation
import SluiceCore

/// `sluice mapping eval 'MAPPING' [--event FILE]`: what a mapping makes of an event.
struct MappingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mapping", abstract: "Work with subscription field mappings (Segment's mapping kit).", subcommands: [Eval.self])

    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the JSON a mapping resolves to for an event.",
            discussion: """
                Reads the event JSON from --event FILE, or from standard input. Prints nothing (and says so on standard error) \
                when the mapping resolves to nothing, as a field left out of the payload. Exits 2 when the mapping is invalid \
                (the message names the place inside it) or the event cannot be read. docs/mapping.md describes the directives.
                """)

        @Argument(help: "The mapping, as JSON, e.g. '{\"name\": {\"@path\": \"$.event\"}}'.") var mapping: String
        @Option(help: "A file holding the event as JSON (default: standard input).") var event: String?

        func run() throws {
            let value: JSONValue
            do {
                value = try JSONValue.parse(Array(mapping.utf8))
            } catch {
                EventInput.fail("mapping", "the mapping is not valid JSON: \(error.description)")
            }
            do {
                try Mapping.validate(value, root: "mapping")
            } catch {
                EventInput.fail("mapping", "invalid mapping: \(error.message)")
            }
            let input = EventInput.read(event, command: "mapping")
            guard let resolved = Mapping.resolve(value, in: input) else {
                FileHandle.standardError.write(Data("sluice mapping: the mapping resolves to nothing for this event\n".utf8))
                return
            }
            print(String(decoding: JSONWriter.encode(resolved), as: UTF8.self))
        }
    }
}

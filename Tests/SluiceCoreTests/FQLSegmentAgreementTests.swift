import Foundation
import SluiceCore
import Testing

/// Sluice's trigger evaluation agrees with Segment's own evaluator on recorded cases.
///
/// `Fixtures/segment-trigger-cases.json` holds generated trigger/event pairs (scripts/trigger-cases.py)
/// with the answer Segment's code gave for each (`parseFql` then `validate` of
/// `@segment/destination-subscriptions`, run with Node; `"throw"` where its evaluation threw, which its
/// runtime reports as an error and does not deliver). docs/fql.md says how the file is made again.
@Suite struct FQLSegmentAgreementTests {
    struct Recorded: Decodable {
        var trigger: String
        var event: JSONValue
        var segment: Answer

        enum Answer: Decodable, Equatable {
            case match, noMatch, threw
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let flag = try? container.decode(Bool.self) {
                    self = flag ? .match : .noMatch
                } else {
                    self = try container.decode(String.self) == "throw" ? .threw : .noMatch
                }
            }
        }
    }

    static func recorded() throws -> [Recorded] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/segment-trigger-cases.json")
        return try JSONDecoder().decode([Recorded].self, from: Data(contentsOf: url))
    }

    @Test func everyAcceptedTriggerAgreesWithSegment() throws {
        // Given the recorded cases
        let cases = try Self.recorded()
        var accepted = 0
        var disagreements: [String] = []
        for c in cases {
            // When Sluice's parser accepts the trigger (refused ones are 422s at the API, never evaluated)
            guard let trigger = try? Trigger(parsing: c.trigger) else { continue }
            accepted += 1
            // Then Sluice's answer is Segment's (an evaluation that threw delivers nothing)
            if trigger.matches(c.event) != (c.segment == .match) {
                disagreements.append("\(c.trigger) on \(c.event): Segment \(c.segment)")
            }
            // And the same answer as the router reads the event: stored by Sluice's writer, parsed back for the
            // members the trigger reads only
            let stored = JSONWriter.encode(c.event)
            let routed = try JSONValue.parse(stored, members: JSONMemberNames(trigger.eventMembers))
            if trigger.matches(routed) != (c.segment == .match) {
                disagreements.append("\(c.trigger) on \(c.event) parsed for \(trigger.eventMembers.sorted()): Segment \(c.segment)")
            }
        }
        #expect(accepted >= cases.count * 9 / 10, "most recorded triggers are valid Sluice triggers")
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, first: \(disagreements.prefix(5))")
    }
}

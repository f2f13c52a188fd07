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
        var ruledOut = 0
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
            // And an event the trigger's gate rules out (the router then does not evaluate it) is one Segment matches not
            if let gate = trigger.gate, !gate.admits(c.event[gate.member]) {
                ruledOut += 1
                if c.segment == .match { disagreements.append("\(c.trigger) on \(c.event): ruled out by its gate, Segment matched") }
            }
        }
        #expect(accepted >= cases.count * 9 / 10, "most recorded triggers are valid Sluice triggers")
        #expect(ruledOut > 0, "some recorded events are ruled out by their trigger's gate")
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, first: \(disagreements.prefix(5))")
    }

    @Test func aTriggersGateIsAStringItsEveryMatchHolds() throws {
        func gate(_ source: String) throws -> String? {
            try Trigger(parsing: source).gate.map { "\($0.member) \($0.admits(.string("Order Completed")))" }
        }
        #expect(try gate(#"type = "track" and event = "Order Completed""#) == "event true")
        #expect(try gate(#"event = "Order Completed" and type = "track""#) == "event true")
        #expect(try gate(#"type = "track""#) == "type false")
        #expect(try gate(#"userId = "Order Completed" and properties.total > 3"#) == "userId true")
        // Nothing every match holds: one of two, or no `=` on a top-level member
        #expect(try gate(#"event = "Order Completed" or type = "track""#) == nil)
        #expect(try gate(#"event != "Order Completed""#) == nil)
        #expect(try gate(#"properties.plan = "pro""#) == nil)
        #expect(try gate(#"contains(event, "Order")"#) == nil)
        // Compared as Segment's `===` does: by code units, not by what a person reads ("é" composed or not)
        let composed = try #require(try Trigger(parsing: "event = \"caf\u{E9}\"").gate)
        #expect(composed.admits(.string("caf\u{E9}")))
        #expect(!composed.admits(.string("cafe\u{301}")))
        #expect(!composed.admits(.number(1)))
        #expect(!composed.admits(nil))
    }

    @Test func anEventAGateRulesOutIsOneItsTriggerNeverMatches() throws {
        let triggers = try [
            #"type = "track" and event = "Order Completed""#, #"event = "Order Completed""#, #"type = "identify""#,
            #"event = "Order Completed" and properties.total > 3"#, #"userId = "u1" and type = "track""#,
            #"name = "Home" and type = "page""#, "type = \"track\" and event = \"caf\u{E9}\"", #"type = "track" and event = 5"#,
        ].map { try Trigger(parsing: $0) }
        var events: [JSONValue] = []
        for type in ["track", "identify", "page"] {
            for name in ["Order Completed", "order completed", "caf\u{E9}", "cafe\u{301}", "5"] as [String] {
                for member in ["event", "name", "userId"] {
                    for total in [5.0, 1.0] {
                        events.append(.object(["type": .string(type), member: .string(name), "properties": .object(["total": .number(total)])]))
                    }
                }
            }
            events.append(.object(["type": .string(type), "event": .number(5), "userId": .string("u1"), "name": .string("Home")]))
            events.append(.object(["type": .string(type)]))
        }
        var (matched, ruledOut) = (0, 0)
        for trigger in triggers {
            let gate = try #require(trigger.gate, "\(trigger)")
            for event in events {
                let admitted = gate.admits(event[gate.member])
                if !admitted { ruledOut += 1 }
                if trigger.matches(event) {
                    matched += 1
                    #expect(admitted, "\(trigger) matches \(event), which its gate rules out")
                }
            }
        }
        #expect(matched > 10 && ruledOut > 100)
    }
}

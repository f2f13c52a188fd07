// The cost of destination filters in the router: `DestinationFilters.apply`, which the router calls once
// an event and destination, timed over a corpus of events with 1 and with 10 enabled filters, in release.
// Prints one JSON object; Benchmarks/bench.py reports it as a row of BENCHMARKS.md's table.
//
//   swift run -c release SluiceBenchFilters [--events 20000] [--rounds 20]
import Foundation
import SluiceCore

func argument(_ name: String, _ fallback: Int) -> Int {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let value = Int(args[i + 1]) else { return fallback }
    return value
}

let eventCount = argument("--events", 20_000)
let rounds = argument("--rounds", 20)

// Events shaped like a Tracking API batch's: a few properties, context, identity fields.
var events: [JSONValue] = []
for n in 0..<eventCount {
    events.append([
        "type": "track", "event": .string(["Order Completed", "Product Viewed", "Signed Up", "Test Event"][n % 4]),
        "userId": .string("user-\(n % 997)"), "anonymousId": .string("anon-\(n)"), "messageId": .string("m-\(n)"),
        "properties": ["total": .number(Double(n % 200)), "currency": "EUR", "email": .string("u\(n)@example.com"), "plan": "pro"],
        "context": ["ip": "10.1.2.3", "library": ["name": "analytics-python", "version": "2.4.0"], "locale": "en-GB"],
    ])
}

// Ten filters of the kinds teams write; each condition reads two or three fields.
let sources = [
    ("event = 'Test Event'", #"[{"type":"DROP"}]"#),
    ("contains(userId, 'internal') or match(context.library.name, 'test*')", #"[{"type":"DROP"}]"#),
    ("properties.total > 150 and properties.currency = 'USD'", #"[{"type":"SAMPLE","percent":0.5,"path":"userId"}]"#),
    ("type = 'identify' and length(traits.email) > 0", #"[{"type":"DROP_PROPERTIES","fields":{"traits":["email"]}}]"#),
    ("event in ['Debug', 'Heartbeat']", #"[{"type":"DROP"}]"#),
    ("lowercase(properties.plan) = 'free'", #"[{"type":"SAMPLE","percent":0.1}]"#),
    ("!(type in ['track', 'page']) and userId = null", #"[{"type":"DROP"}]"#),
    ("match(event, 'Admin *')", #"[{"type":"DROP"}]"#),
    ("typeof(properties.total) = 'string'", #"[{"type":"DROP"}]"#),
    ("all", #"[{"type":"DROP_PROPERTIES","fields":{"properties":["email"],"context":["ip"]}}]"#),
]
let rules: [DestinationFilterRule] = sources.map { condition, actions in
    let parsed = try! JSONValue.parse(Array(actions.utf8)).arrayValue!
    return DestinationFilterRule(
        query: try! FilterQuery(parsing: condition), actions: parsed.enumerated().map { try! DestinationFilterAction(json: $1, index: $0) })
}

/// Nanoseconds an event for `rules`, the best of `rounds` passes over the corpus.
@MainActor
func time(_ rules: [DestinationFilterRule]) -> (Double, Int) {
    var best = Double.infinity
    var kept = 0
    for _ in 0..<rounds {
        kept = 0
        let start = ContinuousClock.now
        for event in events {
            if case .kept = DestinationFilters.apply(rules, to: event) { kept += 1 }
        }
        let elapsed = ContinuousClock.now - start
        let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        best = min(best, ns / Double(events.count))
    }
    return (best, kept)
}

let none = time([])
let one = time([rules[0]])
let ten = time(rules)
let result: [String: Any] = [
    "events": eventCount, "rounds": rounds,
    "ns_per_event_no_filters": none.0, "ns_per_event_1_filter": one.0, "ns_per_event_10_filters": ten.0,
    "ns_per_event_per_filter": (ten.0 - none.0) / 10, "kept_of_corpus_10_filters": ten.1,
]
let data = try! JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: data, as: UTF8.self))

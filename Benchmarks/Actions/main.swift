// The cost of the Actions runtime before the network: resolving the Amplitude (Actions) "Track Calls" preset
// against an event and checking the payload against the action's catalog fields, then the same with Amplitude's
// request built too, timed over a corpus of track events in release. Prints one JSON object; Benchmarks/bench.py reports it as a row of
// BENCHMARKS.md's table.
//
//   swift run -c release SluiceBenchActions [--events 20000] [--rounds 10]
import Foundation
import SluiceCatalog
import SluiceCore
import SluiceDelivery

func argument(_ name: String, _ fallback: Int) -> Int {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let value = Int(args[i + 1]) else { return fallback }
    return value
}

let eventCount = argument("--events", 20_000)
let rounds = argument("--rounds", 10)

// Track events as analytics.js sends them: properties, a browser context with a user agent, campaign and page.
var corpus: [JSONValue] = []
for n in 0..<eventCount {
    corpus.append([
        "type": "track", "event": .string(["Song Played", "Product Viewed", "Signed Up", "Test Event"][n % 4]),
        "userId": .string("user-\(n % 997)"), "anonymousId": .string("anon-\(n)"), "messageId": .string("m-\(n)"),
        "timestamp": "2026-12-03T10:00:00.000Z",
        "properties": ["total": .number(Double(n % 200)), "currency": "EUR", "plan": "pro", "title": .string("Song \(n)")],
        "context": [
            "ip": "10.1.2.3", "locale": "en-GB", "library": ["name": "analytics.js", "version": "2.11.1"],
            "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            "page": ["referrer": "https://example.com/", "url": "https://app.example.com/play"],
            "campaign": ["name": "winter", "source": "newsletter", "medium": "email"],
            "location": ["city": "Berlin", "country": "Germany"],
        ],
    ])
}

let events = corpus
let metadata = Catalog.embedded().destination(id: AmplitudeIntegration.metadataID)!
let preset = metadata.presets.first { $0.name == "Track Calls" }!
let action = metadata.actions.first { $0.id == preset.actionId }!
let settings = try! ActionSettings.validate(
    preset.fields, fields: action.fields, enabled: true, otherFields: metadata.unlistedFieldKeys(actionID: action.id))
var tuned = settings
if CommandLine.arguments.contains("--no-ua") { tuned["userAgentParsing"] = false }
let target = DeliveryTarget(actionSlug: action.slug, subscriptionSettings: tuned, destinationSettings: ["apiKey": "key"])
let amplitude = AmplitudeIntegration(metadata: metadata)

/// The best of `rounds` timings of `work`, in microseconds per event.
func microsecondsPerEvent(_ work: () -> Void) -> Double {
    var best = Double.infinity
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        work()
        let elapsed = ContinuousClock.now - start
        let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        best = min(best, ns / Double(events.count))
    }
    return best / 1000
}

// Resolving the preset: its mapping against each event and the payload's checks against the action's fields, with the
// settings compiled once as the runtime compiles them per delivery.
let checks = action.fields.map(ActionPayload.Check.init)
var prepared = 0
let resolve = microsecondsPerEvent {
    let preparation = ActionPayload.Preparation(settings: tuned, checks: checks)
    prepared = events.reduce(0) { count, event in (try? preparation.payload(for: event).get()) != nil ? count + 1 : count }
}
// Compiling the settings: paid once per delivery (per claimed batch of a subscription's events), not per event.
let compileRounds = 2_000
let compileStart = ContinuousClock.now
for _ in 0..<compileRounds { _ = ActionPayload.Preparation(settings: tuned, checks: checks) }
let compile = (ContinuousClock.now - compileStart) / compileRounds
// The whole of it: resolving, checking, and building Amplitude's request with its JSON body.
var built = 0
let whole = microsecondsPerEvent {
    let plan = amplitude.runtime.requests(for: events, to: target)
    built = plan.filter { (try? $0.requests.get()) != nil }.count
}
let result: [String: Any] = [
    "events": eventCount, "rounds": rounds, "payloads_prepared": prepared, "requests_built": built,
    "us_per_event_resolve_and_check": resolve, "us_per_event_amplitude_track_calls": whole,
    "us_compile_settings": Double(compile.components.attoseconds) / 1e12 + Double(compile.components.seconds) * 1e6,
]
let data = try! JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: data, as: UTF8.self))

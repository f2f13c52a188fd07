import SluiceCore
import Testing

@Suite struct DestinationFiltersTests {
    static let event: JSONValue = [
        "type": "track", "event": "Order Completed", "userId": "u1", "anonymousId": "a1",
        "properties": ["email": "e@x.com", "total": 10, "plan": "pro", "products": [["sku": "s1", "price": 1], ["sku": "s2", "price": 2]]],
        "traits": ["email": "e@x.com", "name": "N"],
        "context": ["ip": "1.2.3.4", "library": ["name": "analytics.js"]],
    ]

    func rule(_ query: String, _ actions: DestinationFilterAction...) throws -> DestinationFilterRule {
        DestinationFilterRule(query: try FilterQuery(parsing: query), actions: actions)
    }

    func kept(_ outcome: DestinationFilterOutcome) -> JSONValue? {
        if case .kept(let event) = outcome { return event }
        return nil
    }

    // MARK: - No rule, or no matching rule, keeps the event unchanged

    @Test func nothingMatches() throws {
        #expect(DestinationFilters.apply([], to: Self.event) == .kept(Self.event))
        let rules = [try rule("type = 'identify'", .drop), try rule("event = 'x'", .dropProperties(fields: ["": ["userId"]]))]
        #expect(DestinationFilters.apply(rules, to: Self.event) == .kept(Self.event))
    }

    // MARK: - DROP drops a matching event

    @Test func drop() throws {
        #expect(DestinationFilters.apply([try rule("type = 'track'", .drop)], to: Self.event) == .dropped(.drop))
        #expect(DestinationFilters.apply([try rule("all", .drop)], to: Self.event) == .dropped(.drop))
        #expect(DestinationFilters.apply([try rule("!(event in ['Order Completed'])", .drop)], to: Self.event) == .kept(Self.event))
    }

    // MARK: - DROP_PROPERTIES on each of the four objects, dotted keys into objects and lists

    @Test func dropProperties() throws {
        let rules = [
            try rule(
                "all",
                .dropProperties(fields: [
                    "properties": ["email", "products.price", "missing"], "traits": ["email"], "context": ["ip", "library.name"],
                    "": ["anonymousId"],
                ]))
        ]
        let expected: JSONValue = [
            "type": "track", "event": "Order Completed", "userId": "u1",
            "properties": ["total": 10, "plan": "pro", "products": [["sku": "s1"], ["sku": "s2"]]],
            "traits": ["name": "N"],
            "context": ["library": [:]],
        ]
        #expect(DestinationFilters.apply(rules, to: Self.event) == .kept(expected))
    }

    // MARK: - ALLOW_PROPERTIES on each of the four objects; objects not named are untouched

    @Test func allowProperties() throws {
        let properties = [try rule("all", .allowProperties(fields: ["properties": ["total", "nope"]]))]
        #expect(kept(DestinationFilters.apply(properties, to: Self.event))?["properties"] == ["total": 10])
        #expect(kept(DestinationFilters.apply(properties, to: Self.event))?["traits"] == Self.event["traits"])

        let traits = [try rule("all", .allowProperties(fields: ["traits": ["name"]]))]
        #expect(kept(DestinationFilters.apply(traits, to: Self.event))?["traits"] == ["name": "N"])

        let context = [try rule("all", .allowProperties(fields: ["context": []]))]
        #expect(kept(DestinationFilters.apply(context, to: Self.event))?["context"] == [:])

        let top = [try rule("all", .allowProperties(fields: ["": ["type", "event", "properties"]]))]
        #expect(
            kept(DestinationFilters.apply(top, to: Self.event)) == [
                "type": "track", "event": "Order Completed", "properties": Self.event["properties"]!,
            ])

        // An object the event does not have, or that is not an object, is left alone.
        let absent: JSONValue = ["type": "track", "traits": "x"]
        #expect(DestinationFilters.apply(traits, to: absent) == .kept(absent))
        #expect(DestinationFilters.apply(properties, to: absent) == .kept(absent))
        #expect(DestinationFilters.apply(top, to: .string("x")) == .kept(.string("x")))
    }

    // MARK: - Order: conditions see the original event; drop before sample before properties

    @Test func order() throws {
        // The first rule removes properties.email; the second still sees it, because conditions read the original event.
        let rules = [
            try rule("all", .dropProperties(fields: ["properties": ["email"]])),
            try rule("contains(properties.email, '@x.com')", .dropProperties(fields: ["": ["userId"]])),
        ]
        let outcome = kept(DestinationFilters.apply(rules, to: Self.event))
        #expect(outcome?["properties"]?["email"] == nil)
        #expect(outcome?["userId"] == nil)

        // DROP wins over SAMPLE (whichever rule or position holds it), so the reason is DROP.
        let sampledThenDropped = [try rule("all", .sample(percent: 0, path: nil)), try rule("all", .drop)]
        #expect(DestinationFilters.apply(sampledThenDropped, to: Self.event) == .dropped(.drop))
        let sameRule = [try rule("all", .sample(percent: 0, path: nil), .dropProperties(fields: [:]), .drop)]
        #expect(DestinationFilters.apply(sameRule, to: Self.event) == .dropped(.drop))

        // A sample that does not keep the event stops the property actions of every rule.
        let sampled = [try rule("all", .allowProperties(fields: ["": []])), try rule("all", .sample(percent: 0, path: "userId"))]
        #expect(DestinationFilters.apply(sampled, to: Self.event) == .dropped(.sample))

        // Allow and drop of the same object commute: kept = allowed minus dropped.
        let both = [try rule("all", .allowProperties(fields: ["traits": ["name", "email"]]), .dropProperties(fields: ["traits": ["email"]]))]
        let reversed = [
            try rule("all", .dropProperties(fields: ["traits": ["email"]])),
            try rule("all", .allowProperties(fields: ["traits": ["name", "email"]])),
        ]
        #expect(kept(DestinationFilters.apply(both, to: Self.event))?["traits"] == ["name": "N"])
        #expect(DestinationFilters.apply(both, to: Self.event) == DestinationFilters.apply(reversed, to: Self.event))
    }

    // MARK: - SAMPLE: 0 and 1, determinism by path, rough rates

    @Test func sampling() throws {
        #expect(DestinationFilters.apply([try rule("all", .sample(percent: 1, path: nil))], to: Self.event) == .kept(Self.event))
        #expect(DestinationFilters.apply([try rule("all", .sample(percent: 0, path: nil))], to: Self.event) == .dropped(.sample))
        #expect(DestinationFilters.apply([try rule("all", .sample(percent: 1, path: "userId"))], to: Self.event) == .kept(Self.event))

        let byUser = [try rule("all", .sample(percent: 0.3, path: "userId"))]
        let byNested = [try rule("all", .sample(percent: 0.3, path: "properties.plan"))]
        var keptUsers = 0
        for i in 0..<10_000 {
            let event: JSONValue = ["userId": .string("user-\(i)"), "properties": ["plan": .string("plan-\(i % 100)")]]
            let first = DestinationFilters.apply(byUser, to: event)
            // The same value always gets the same decision.
            for _ in 0..<3 { #expect(DestinationFilters.apply(byUser, to: event) == first) }
            if case .kept = first { keptUsers += 1 }
            if i < 200 { #expect(DestinationFilters.apply(byNested, to: event) == DestinationFilters.apply(byNested, to: event)) }
        }
        #expect((2_500...3_500).contains(keptUsers), "kept \(keptUsers) of 10000 at 0.3")

        // Ids that differ only in their last characters get independent decisions: a plain FNV-1a's high bits would give
        // each run of ten (`user-10` … `user-19`) one decision. At 0.5, ten independent decisions are all alike with
        // probability 1/512, so of 99 runs of ten sequential ids hardly any may be.
        let half = [try rule("all", .sample(percent: 0.5, path: "userId"))]
        for shape in ["user-", "", "cust-1"] {
            var alike = 0
            for run in 1..<100 {
                let decisions = (0..<10).map { j -> Bool in
                    if case .kept = DestinationFilters.apply(half, to: ["userId": .string("\(shape)\(run * 10 + j)")]) { return true }
                    return false
                }
                if Set(decisions).count == 1 { alike += 1 }
            }
            #expect(alike <= 3, "\(alike) of 99 runs of ten ids \(shape)… share one decision")
        }

        // Values hash by their canonical JSON text: 1 and 1.0 are one value, "1" another.
        #expect(DestinationFilters.samplingPoint(of: 1) == DestinationFilters.samplingPoint(of: 1.0))
        #expect(DestinationFilters.samplingPoint(of: 1) != DestinationFilters.samplingPoint(of: "1"))
        #expect(DestinationFilters.samplingPoint(of: "a\"b") != DestinationFilters.samplingPoint(of: "ab"))
        #expect(DestinationFilters.samplingPoint(of: ["b": 1, "a": 2]) == DestinationFilters.samplingPoint(of: ["a": 2, "b": 1]))
        for value: JSONValue in [nil, true, "", "x", 0, -1e300, ["x"], ["k": "v"]] {
            #expect((0..<1).contains(DestinationFilters.samplingPoint(of: value)))
        }

        // Without a path, a random draw: seeded here for a stable rate.
        var generator = SeededRandom(seed: 42)
        let random = [try rule("all", .sample(percent: 0.3, path: nil))]
        var keptRandom = 0
        for _ in 0..<10_000 {
            if case .kept = DestinationFilters.apply(random, to: Self.event, using: &generator) { keptRandom += 1 }
        }
        #expect((2_500...3_500).contains(keptRandom), "kept \(keptRandom) of 10000 at 0.3")
    }

    // MARK: - Timing (printed, not asserted): one simple filter on a typical event

    @Test func timing() throws {
        let rules = [try rule("type = 'track' and event = 'Order Completed' and properties.total > 5", .drop)]
        let miss = [try rule("type = 'identify' or contains(context.library.name, 'ios')", .drop)]
        let glob = [try rule("match(properties.email, '*@x.com')", .drop)]
        let iterations = 200_000
        var dropped = 0
        let clock = ContinuousClock()
        for (name, set) in [("matching and-chain", rules), ("non-matching or", miss), ("glob", glob)] {
            let elapsed = clock.measure {
                for _ in 0..<iterations {
                    if case .dropped = DestinationFilters.apply(set, to: Self.event) { dropped += 1 }
                }
            }
            let nanos = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
            print("DestinationFilters.apply, \(name): \(Int(nanos / Double(iterations))) ns per event")
        }
        #expect(dropped == 2 * iterations)
    }
}

import Foundation
import Testing

@testable import SluiceCore

/// Seeded random inputs for the parsers that read what clients send: FQL triggers, mapping directives
/// (paths and templates inside them) and JSON. No input may crash, hang or take time out of proportion
/// to its size; accepted triggers must survive a round trip through their canonical text.
///
/// `swift test` runs a few hundred cases per target (about a second). The long form sets
/// `SLUICE_FUZZ_ITERATIONS` (e.g. 200000) and optionally `SLUICE_FUZZ_SEED`; a failure prints the
/// seed and the case number, and the same seed replays the same inputs.
@Suite struct FuzzTests {
    static let iterations = ProcessInfo.processInfo.environment["SLUICE_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 400
    static let seed = ProcessInfo.processInfo.environment["SLUICE_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_251_128
    /// Any one case slower than this is a failure. It catches runaway work (a case building gigabytes, or
    /// quadratic in its input, takes minutes), not speed: the output-bound cases take about 2 s each in a debug
    /// build on a quiet 2-core machine, so the limit leaves room for a machine busy with other tests.
    static let perCaseLimit = Duration.seconds(30)

    // MARK: - FQL

    @Test func triggerParserOnRandomInput() {
        var rng = FuzzRandom(seed: Self.seed)
        let events = FuzzCorpus.events
        for n in 0..<Self.iterations {
            let input: String
            switch n % 4 {
            case 0: input = rng.randomText(maxLength: 200)
            case 1: input = rng.grammarShapedTrigger()
            case 2: input = rng.mutate(FuzzCorpus.triggers[rng.below(FuzzCorpus.triggers.count)])
            default: input = rng.nestedTrigger()
            }
            timed("trigger case \(n) (seed \(Self.seed))", input) {
                guard let trigger = try? Trigger(parsing: input) else { return }
                // An accepted trigger's canonical text parses to the same expression.
                let canonical = trigger.expression.description
                let again = try? Trigger(parsing: canonical)
                #expect(again?.expression == trigger.expression, "round trip of \(input.debugDescription) via \(canonical.debugDescription)")
                for event in events { _ = trigger.matches(event) }
            }
        }
    }

    @Test func triggerParserOnHugeAndDeepInput() {
        // Far deeper than the limit of 64 groups, and far longer than the limit of 10,000 characters.
        let deep = String(repeating: "(", count: 100_000) + #"type = "track""# + String(repeating: ")", count: 100_000)
        let unclosed = String(repeating: "(", count: 9_000)
        let bangs = String(repeating: "!", count: 9_999)
        let long = String(repeating: #"type = "a" or "#, count: 700) + #"type = "b""#
        let longString = #"event = ""# + String(repeating: "x", count: 9_980) + "\""
        let escapes = "properties." + String(repeating: #"\."#, count: 4_990)
        let wordChain = "properties" + String(repeating: ".a", count: 4_990) + " = 1"
        for input in [deep, unclosed, bangs, long, longString, escapes, wordChain] {
            timed("huge trigger", input) {
                if let trigger = try? Trigger(parsing: input) {
                    for event in FuzzCorpus.events { _ = trigger.matches(event) }
                }
            }
        }
        #expect(throws: FQLError.self) { try Trigger(parsing: deep) }
    }

    // MARK: - Mapping directives

    @Test func mappingOnRandomInput() {
        var rng = FuzzRandom(seed: Self.seed &+ 2)
        let events = FuzzCorpus.events
        for n in 0..<Self.iterations {
            let mapping: JSONValue
            switch n % 3 {
            case 0: mapping = rng.randomMapping(depth: 0)
            case 1: mapping = rng.mutate(FuzzCorpus.mappings[rng.below(FuzzCorpus.mappings.count)])
            default:
                // Random bytes read as JSON, when they happen to be JSON.
                mapping = (try? JSONValue.parse(rng.mutate(FuzzCorpus.mappingTexts[rng.below(FuzzCorpus.mappingTexts.count)]))) ?? .null
            }
            let text = String(decoding: JSONWriter.encode(mapping), as: UTF8.self)
            timed("mapping case \(n) (seed \(Self.seed))", text) {
                let valid = (try? Mapping.validate(mapping, field: "data")) != nil
                // Invalid mappings never reach delivery, but resolve must not trap on them either.
                for event in events {
                    let resolved = Mapping.resolve(mapping, in: event)
                    if valid, case .object = mapping, resolved == nil, !Mapping.isDirective(mapping) {
                        Issue.record("a plain object resolved to nothing: \(text)")
                    }
                }
            }
        }
    }

    @Test func mappingPathsAndTemplatesOnRandomInput() {
        var rng = FuzzRandom(seed: Self.seed &+ 3)
        let alphabet: [Character] = ["$", ".", "[", "]", "'", "\"", "\\", "{", "}", " ", "a", "0", "1", "é"]
        for n in 0..<Self.iterations {
            let path = rng.randomText(maxLength: 60, alphabet: alphabet)
            let template = rng.randomText(maxLength: 120, alphabet: alphabet)
            timed("path/template case \(n)", path + " | " + template) {
                if let parsed = try? MappingPath(parsing: path) {
                    for event in FuzzCorpus.events { _ = parsed.value(in: event) }
                }
                let compiled = MappingTemplate(template)
                _ = compiled.invalidPlaceholder
                for event in FuzzCorpus.events { _ = compiled.render(event) }
            }
        }
    }

    @Test func mappingOnHugeAndDeepInput() throws {
        // Directives nested as deep as the JSON parser allows (512 levels), in every nesting position.
        var literal: JSONValue = ["@path": "$.userId"]
        var ifs: JSONValue = "x"
        var arrays: JSONValue = ["@path": "$."]
        var transforms: JSONValue = ["@path": "$."]
        var merges: JSONValue = ["@path": "$."]
        var excludes: JSONValue = ["@path": "$."]
        for _ in 0..<500 {
            literal = ["@literal": literal]
            ifs = ["@if": ["exists": "x", "then": ifs]]
            arrays = ["@arrayPath": ["$.", arrays]]
        }
        // About 1,000 levels of JSON, as deep as the two above.
        for _ in 0..<330 { transforms = ["@transform": ["apply": ["x": transforms], "mapping": ["@path": "$.x"]]] }
        for _ in 0..<250 { merges = ["@merge": ["direction": "left", "objects": [["@path": "$."], ["a": merges]]]] }
        for _ in 0..<200 {
            excludes = ["@excludeWhenNull": ["@json": ["mode": "decode", "value": ["@json": ["mode": "encode", "value": excludes]]]]]
        }
        // A template of unclosed braces: each "{{" used to rescan to the end (quadratic in its length; see also
        // templatesTakeLinearTime, which measures it).
        let braces: JSONValue = ["@template": .string(String(repeating: "{{", count: 20_000))]
        let openClose: JSONValue = ["@template": .string(String(repeating: "{{{a}", count: 10_000))]
        let manyPlaceholders: JSONValue = ["@template": .string(String(repeating: "{{properties.name}}", count: 2_000))]
        let longPath: JSONValue = ["@path": .string("$" + String(repeating: "['a", count: 20_000))]
        for mapping in [literal, ifs, arrays, transforms, merges, excludes, braces, openClose, manyPlaceholders, longPath] {
            let text = String(decoding: JSONWriter.encode(mapping), as: UTF8.self)
            timed("huge mapping", text) {
                _ = try? Mapping.validate(mapping, field: "data")
                for event in FuzzCorpus.events { _ = Mapping.resolve(mapping, in: event) }
            }
        }
    }

    @Test func mappingOutputIsBounded() throws {
        // Given an event of about 30 KB and mappings that ask for it many times over
        let big = String(repeating: "x", count: 30_000)
        let items: [JSONValue] = (0..<2_000).map { .number(Double($0)) }
        let event: JSONValue = ["type": "track", "properties": ["big": .string(big), "items": .array(items)]]
        let manyCopies: JSONValue = ["@template": .string(String(repeating: "{{properties.big}}", count: 1_000))]
        let wholeEventCopies: JSONValue = ["@template": .string(String(repeating: "{{$.}}", count: 1_000))]
        let pathCopies: JSONValue = .array(Array(repeating: ["@path": "$.properties"], count: 1_000))
        let perElement: JSONValue = ["@arrayPath": ["$.properties.items", ["copy": ["@path": "$."], "big": .string(big)]]]
        let encodedCopies: JSONValue = .array(Array(repeating: ["@json": ["mode": "encode", "value": ["@path": "$."]]], count: 1_000))
        let upperCopies: JSONValue = .array(Array(repeating: ["@case": ["operator": "upper", "value": ["@path": "$.properties.big"]]], count: 1_000))
        let prefixes: JSONValue = ["@replace": ["pattern": "x", "replacement": "$`$`", "value": ["@path": "$.properties.big"]]]
        let flattened: JSONValue = .array(Array(repeating: ["@flatten": ["separator": "-------", "value": ["@path": "$."]]], count: 1_000))
        let merged: JSONValue = ["@merge": ["direction": "right", "objects": .array(Array(repeating: ["@path": "$.properties.big"], count: 1_000))]]
        for mapping in [manyCopies, wholeEventCopies, pathCopies, perElement, encodedCopies, upperCopies, prefixes, flattened, merged] {
            // When each is resolved
            let start = ContinuousClock.now
            let resolved = Mapping.resolve(mapping, in: event)
            // Then it stops at the bound, quickly, instead of building gigabytes
            let size = resolved.map { TrackingAPI.encodedSize($0) } ?? 0
            #expect(size <= Mapping.maxResolvedBytes, "\(size) bytes")
            #expect(ContinuousClock.now - start < Self.perCaseLimit)
        }
        // A field over the bound is left out; the fields before it (in key order) are kept.
        let settings: [String: JSONValue] = ["a": ["@path": "$.type"], "b": manyCopies, "c": ["@path": "$.type"]]
        let input = Mapping.resolve(settings: settings, in: event)
        #expect(input["a"] == "track")
        #expect(input["b"] == nil)
        // And an ordinary mapping is untouched by the bound.
        let ordinary: JSONValue = ["id": ["@path": "$.properties.items.3"], "n": ["@template": "{{type}}!"]]
        #expect(Mapping.resolve(ordinary, in: event) == ["id": 3, "n": "track!"])
    }

    @Test(arguments: ["{{", "{{{a}", "{{a}}", "{{{"])
    func templatesTakeLinearTime(_ unit: String) {
        // Parsing a template four times as long takes about four times as long, not sixteen.
        func cost(_ count: Int) -> Duration {
            let template = String(repeating: unit, count: count)
            let start = ContinuousClock.now
            _ = MappingTemplate(template).invalidPlaceholder
            return ContinuousClock.now - start
        }
        _ = cost(1_000)
        let small = cost(20_000)
        let large = cost(80_000)
        #expect(large < small * 10, "\(unit): 20,000 repeats took \(small), 80,000 took \(large)")
    }

    // MARK: - JSON

    @Test func jsonParserOnRandomInput() {
        var rng = FuzzRandom(seed: Self.seed &+ 4)
        for n in 0..<Self.iterations {
            let bytes: [UInt8]
            switch n % 3 {
            case 0: bytes = rng.bytes(maxLength: 200)
            case 1: bytes = Array(rng.mutate(FuzzCorpus.mappingTexts[rng.below(FuzzCorpus.mappingTexts.count)]).utf8)
            default: bytes = Array(String(decoding: JSONWriter.encode(rng.randomMapping(depth: 0)), as: UTF8.self).utf8)
            }
            timed("json case \(n)", String(decoding: bytes, as: UTF8.self)) {
                _ = try? JSONValue.parse(bytes, members: JSONMemberNames(["type", "a"]))  // any input: an answer, no crash
                guard let value = try? JSONValue.parse(bytes) else { return }
                // What Sluice writes, it reads back as the same value, and the router's parse of it for some members
                // is those members of it.
                #expect((try? JSONValue.parse(JSONWriter.encode(value))) == value)
                if case .object(let members) = value {
                    let names = Set(members.keys.prefix(2)).union(["type"])
                    let routed = try? JSONValue.parse(JSONWriter.encode(value), members: JSONMemberNames(names))
                    #expect(routed == .object(members.filter { names.contains($0.key) }))
                }
            }
        }
        for deep in ["[", "{\"a\":", "[{\"a\":"] {
            let input = String(repeating: deep, count: 10_000) + "1"
            timed("deep json", deep) { #expect(throws: JSONParseError.self) { try JSONValue.parse(input) } }
        }
    }

    // MARK: - Helpers

    /// Runs one case, failing when it takes longer than ``perCaseLimit``.
    private func timed(_ name: String, _ input: String, _ body: () -> Void) {
        let start = ContinuousClock.now
        body()
        let elapsed = ContinuousClock.now - start
        if elapsed > Self.perCaseLimit {
            Issue.record("\(name) took \(elapsed): \(input.prefix(200).debugDescription)")
        }
    }
}

/// Valid inputs that the mutations start from.
enum FuzzCorpus {
    static let triggers = [
        #"type = "track""#,
        #"type = "track" and event = "Order Completed""#,
        #"(type = "identify" or type = "group") and traits.email != null"#,
        #"properties.revenue >= 10.5 and properties.revenue < 1e3"#,
        #"contains(event, "Order") or !match(properties.sku, "A*-*9")"#,
        #"properties.products.0.sku = "X" and context.app\.version = "1""#,
        #"userId = null or anonymousId != "" and type = "page""#,
    ]

    static let mappingTexts = [
        #"{"@path": "$.properties.revenue"}"#,
        #"{"@template": "Hi {{traits.name}} {{{properties.x}}}"}"#,
        #"{"@if": {"exists": {"@path": "$.userId"}, "then": {"@path": "$.userId"}, "else": {"@path": "$.anonymousId"}}}"#,
        #"{"@arrayPath": ["$.properties.products", {"id": {"@path": "$.sku"}, "n": {"@template": "{{name}}"}}]}"#,
        #"{"user": {"id": {"@path": "$.userId"}, "tags": [{"@literal": {"a": 1}}, "fixed", null, 1e3]}}"#,
        #"{"@path": "$['a b'][\"c\"].d[0]"}"#,
    ]

    static let mappings: [JSONValue] = mappingTexts.map { try! JSONValue.parse($0) }

    static let events: [JSONValue] = [
        #"""
        {"type": "track", "event": "Order Completed", "userId": "u1",
         "properties": {"revenue": 42, "sku": "A1-9", "products": [{"sku": "X", "name": "n"}, 3, null]}, "context": {"app": {"version": "1"}}}
        """#,
        #"{"type": "identify", "traits": {"email": "a@b.c", "name": "Ann"}, "anonymousId": ""}"#,
        #"{"type": "page", "properties": [1, 2, 3], "userId": null}"#,
        "[]",
        "\"track\"",
    ].map { try! JSONValue.parse($0) }
}

/// Random fuzz inputs from a seed: the same seed gives the same inputs on every platform.
struct FuzzRandom {
    var generator: SeededRandom

    init(seed: UInt64) { generator = SeededRandom(seed: seed) }

    mutating func next() -> UInt64 { generator.next() }

    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    mutating func bytes(maxLength: Int) -> [UInt8] {
        (0..<below(maxLength + 1)).map { _ in UInt8(truncatingIfNeeded: next()) }
    }

    /// Any scalars: ASCII, controls, combining marks, astral, and (from bytes) replacement characters.
    mutating func randomText(maxLength: Int, alphabet: [Character]? = nil) -> String {
        var s = ""
        for _ in 0..<below(maxLength + 1) {
            if let alphabet {
                s.append(alphabet[below(alphabet.count)])
                continue
            }
            switch below(6) {
            case 0: s.unicodeScalars.append(Unicode.Scalar(UInt8(below(128))))
            case 1:
                let symbols = Array(#"()!=<>",.\ "#)
                s.append(symbols[below(symbols.count)])
            case 2: s.unicodeScalars.append(Unicode.Scalar(UInt32(0x300 + below(0x70)))!)  // combining marks
            case 3: s.unicodeScalars.append(Unicode.Scalar(UInt32(0x1F600 + below(0x50)))!)
            case 4: s.append(["and", "or", "type", "properties.", "contains(", "match(", "null", "true", "1e999", "-0"][below(10)])
            default: s.append(String(decoding: bytes(maxLength: 3), as: UTF8.self))
            }
        }
        return s
    }

    /// A string built from the grammar's pieces, usually close to valid.
    mutating func grammarShapedTrigger(depth: Int = 0) -> String {
        let fields = ["type", "event", "userId", "properties.revenue", "traits.a.b", "context.x\\.y", "properties.0", "name", "nope"]
        let values = [#""track""#, "12", "-3.5e2", "true", "null", #""a\"b""#, "1e400", "'x'", "bare", #""""#]
        let ops = ["=", "!=", "<", "<=", ">", ">=", "==", ""]
        var parts: [String] = []
        for i in 0..<(1 + below(4)) {
            if i > 0 { parts.append(chance(50) ? "and" : (chance(90) ? "or" : "AND")) }
            switch below(5) {
            case 0 where depth < 5: parts.append("(" + grammarShapedTrigger(depth: depth + 1) + (chance(90) ? ")" : ""))
            case 1:
                parts.append(
                    (chance(30) ? "!" : "") + ["contains", "match"][below(2)] + "(" + fields[below(fields.count)] + ", " + values[below(values.count)]
                        + ")")
            default: parts.append(fields[below(fields.count)] + " " + ops[below(ops.count)] + " " + values[below(values.count)])
            }
        }
        return parts.joined(separator: chance(90) ? " " : "")
    }

    /// Deeply nested groups, balanced or not, around a valid condition.
    mutating func nestedTrigger() -> String {
        let depth = below(200)
        let open = String(repeating: chance(50) ? "(" : "((", count: depth)
        let close = String(repeating: ")", count: chance(70) ? depth : below(depth + 1))
        return open + #"type = "track""# + close
    }

    /// The text with a few random edits: deletions, insertions, duplications, swaps, truncation.
    mutating func mutate(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        for _ in 0..<(1 + below(4)) {
            let at = below(scalars.count + 1)
            switch below(5) {
            case 0 where !scalars.isEmpty && at < scalars.count: scalars.remove(at: at)
            case 1: scalars.insert(contentsOf: randomText(maxLength: 4).unicodeScalars, at: at)
            case 2 where at < scalars.count:
                let end = min(scalars.count, at + below(20))
                scalars.insert(contentsOf: scalars[at..<end], at: at)
            case 3 where scalars.count > 1 && at < scalars.count - 1: scalars.swapAt(at, at + 1)
            default: scalars = Array(scalars.prefix(at))
            }
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// A JSON value with a few random edits: a member dropped, a directive renamed, a value replaced.
    mutating func mutate(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(var members):
            if members.isEmpty || chance(15) { return randomMapping(depth: 3) }
            let key = members.keys.sorted()[below(members.count)]
            switch below(4) {
            case 0: members[key] = nil
            case 1:
                let keys = [
                    "@path", "@template", "@literal", "@if", "@arrayPath", "@case", "@merge", "@transform", "exists", "then", "value", "_metadata",
                ]
                members[keys[below(keys.count)]] = members[key]
            default: members[key] = mutate(members[key]!)
            }
            return .object(members)
        case .array(var elements):
            if elements.isEmpty || chance(15) { return randomMapping(depth: 3) }
            let at = below(elements.count)
            if chance(30) { elements.remove(at: at) } else { elements[at] = mutate(elements[at]) }
            return .array(elements)
        case .string(let s):
            return chance(70) ? .string(mutate(s)) : randomMapping(depth: 3)
        default:
            return randomMapping(depth: 3)
        }
    }

    /// A random mapping: plain values, objects, arrays and directives (well formed or not), at most 6 levels.
    mutating func randomMapping(depth: Int) -> JSONValue {
        let paths = ["$.userId", "$.properties.products", "$.", "$", "", "properties.revenue", "$['a", "$.products[0].sku", "$..x"]
        if depth >= 6 { return .string(paths[below(paths.count)]) }
        switch below(12) {
        case 0: return .null
        case 1: return .number([0, -1, 1e308, 0.5][below(4)])
        case 2: return .string(randomText(maxLength: 20))
        case 3: return ["@path": .string(paths[below(paths.count)])]
        case 4: return ["@template": .string("a{{" + paths[below(paths.count)] + (chance(80) ? "}}" : "}") + "b")]
        case 5: return ["@literal": randomMapping(depth: depth + 1)]
        case 6:
            var options: [String: JSONValue] = [:]
            for key in ["exists", "blank", "then", "else", "other"] where chance(45) { options[key] = randomMapping(depth: depth + 1) }
            return ["@if": .object(options)]
        case 7:
            var args: [JSONValue] = [chance(80) ? .string(paths[below(paths.count)]) : randomMapping(depth: depth + 1)]
            if chance(70) { args.append(randomMapping(depth: depth + 1)) }
            if chance(10) { args.append(.null) }
            return ["@arrayPath": .array(args)]
        case 9, 10:
            // A directive with options, Segment's options and a few others, often with values it takes.
            let names = ["@case", "@replace", "@flatten", "@json", "@merge", "@transform", "@excludeWhenNull"]
            let keys = [
                "operator", "value", "pattern", "replacement", "pattern2", "replacement2", "ignorecase", "global", "separator",
                "omitArrays", "mode", "direction", "objects", "apply", "mapping", "other",
            ]
            let likely: [JSONValue] = [
                "lower", "upper", "encode", "decode", "left", "right", ".", "a", "$&", "$`", "$'", true, false, ["@path": "$."],
            ]
            var options: [String: JSONValue] = [:]
            for key in keys where chance(30) {
                options[key] =
                    key == "objects" && chance(70)
                    ? .array((0..<below(4)).map { _ in randomMapping(depth: depth + 1) })
                    : chance(50) ? likely[below(likely.count)] : randomMapping(depth: depth + 1)
            }
            return [names[below(names.count)]: chance(90) ? .object(options) : randomMapping(depth: depth + 1)]
        case 8:
            var members: [String: JSONValue] = [:]
            for i in 0..<below(4) { members[chance(10) ? "@x\(i)" : "k\(i)"] = randomMapping(depth: depth + 1) }
            return .object(members)
        default:
            return .array((0..<below(4)).map { _ in randomMapping(depth: depth + 1) })
        }
    }
}

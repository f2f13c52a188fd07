import Foundation
import Testing

@testable import SluiceCore

/// ``CompiledMapping`` and ``Mapping/CompiledSettings``: a mapping compiled once gives, for every event, what resolving
/// it on its own gives (the directive semantics themselves are MappingResolveTests' and MappingDirectivesTests').
///
/// Compiling reads every path from the event's root once per event, through a ``PathTree`` shared by all of a
/// subscription's fields; `Mapping.resolve(_:in:)` reads each path where it stands. The two must agree.
@Suite struct CompiledMappingTests {
    @Test func pathsReadOnceAgreeWithPathsReadWhereTheyStand() {
        var rng = FuzzRandom(seed: FuzzTests.seed &+ 9)
        for n in 0..<(FuzzTests.iterations * 4) {
            let mapping =
                n % 2 == 0 ? rng.randomMapping(depth: 0) : rng.mutate(FuzzCorpus.mappings[rng.below(FuzzCorpus.mappings.count)])
            let compiled = CompiledMapping(mapping)
            for event in FuzzCorpus.events {
                #expect(compiled.resolve(in: event) == Mapping.resolve(mapping, in: event), "case \(n): \(mapping)")
            }
        }
    }

    static let event: JSONValue = [
        "userId": "u1", "anonymousId": "a1",
        "context": ["device": ["id": "d1"], "campaign": ["name": "winter", "source": "news"], "page": ["referrer": "r"]],
        "properties": ["products": [["sku": "A", "price": 2], ["sku": "B"]], "0": "key zero", "total": 4],
    ]

    @Test func sharedPrefixesArrayIndexesAndMissingMembers() {
        let settings: [String: JSONValue] = [
            "device": [
                "@if": ["exists": ["@path": "$.context.device.id"], "then": ["@path": "$.context.device.id"], "else": ["@path": "$.anonymousId"]]
            ],
            "campaign": ["name": ["@path": "$.context.campaign.name"], "source": ["@path": "$.context.campaign.source"], "fixed": 1],
            "first_sku": ["@path": "$.properties.products[0].sku"],
            "second_price": ["@path": "$.properties.products.1.price"],
            "zero": ["@path": "$.properties.0"],
            "missing": ["@path": "$.context.app.version"],
            "whole": ["@path": "$."],
            "literal": ["@literal": ["@path": "$.userId"]],
            "template": ["@template": "{{userId}} from {{context.page.referrer}}"],
        ]
        let compiled = Mapping.CompiledSettings(settings)
        #expect(compiled.keys == settings.keys.sorted())
        let resolved = compiled.resolve(in: Self.event)
        #expect(resolved["device"] == "d1")
        #expect(resolved["campaign"] == ["name": "winter", "source": "news", "fixed": 1])
        #expect(resolved["first_sku"] == "A")
        #expect(resolved["second_price"] == nil)
        #expect(resolved["zero"] == "key zero")
        #expect(resolved["missing"] == nil)
        #expect(resolved["whole"] == Self.event)
        #expect(resolved["literal"] == "u1")
        #expect(resolved["template"] == "u1 from r")
        // Each field as it resolves on its own.
        for (key, mapping) in settings { #expect(resolved[key] == Mapping.resolve(mapping, in: Self.event), "\(key)") }
        // The same compiled settings, another event.
        #expect(
            compiled.resolve(in: ["anonymousId": "a2"])
                == ["device": "a2", "campaign": ["fixed": 1], "whole": ["anonymousId": "a2"], "template": " from "])
    }

    @Test func arrayPathShapesReadTheirElementsNotTheEvent() {
        let mapping: JSONValue = [
            "@arrayPath": ["$.properties.products", ["sku": ["@path": "$.sku"], "user": ["@path": "$.userId"], "p": ["@path": "price"]]]
        ]
        #expect(CompiledMapping(mapping).resolve(in: Self.event) == [["sku": "A", "p": 2], ["sku": "B"]])
    }

    @Test func theOutputBudgetIsSpentAsWhenResolvedOnItsOwn() {
        // Each field copies the whole event 40,000 times over: the budget runs out part of the way, in key order.
        let big: JSONValue = ["@template": .string(String(repeating: "{{$.}}", count: 40_000))]
        let settings: [String: JSONValue] = ["a": ["@path": "$.userId"], "b": big, "c": ["@path": "$.userId"]]
        let resolved = Mapping.CompiledSettings(settings).resolve(in: Self.event)
        #expect(resolved["a"] == "u1")
        #expect(resolved["b"] == nil)
        #expect(resolved["c"] == nil)
    }

    @Test func eventMembersAreTheFirstKeysOfWhatItReads() {
        let cases: [(JSONValue, Set<String>?)] = [
            ("a constant", []),
            (["@path": "$.properties.total"], ["properties"]),
            (["@path": "userId"], ["userId"]),
            (["@path": "$['a"], []),  // does not parse: resolves to nothing
            (["a": ["@path": "$.userId"], "b": ["@template": "{{context.ip}} and {{ traits.email }}"], "c": 1], ["userId", "context", "traits"]),
            (["@literal": ["@path": "$.userId"]], ["userId"]),
            (["@if": ["exists": ["@path": "$.a"], "then": ["@path": "$.b.c"], "else": ["@template": "{{d}}"]]], ["a", "b", "d"]),
            (["@arrayPath": ["$.properties.products", ["sku": ["@path": "$.sku"], "user": ["@path": "$.userId"]]]], ["properties"]),
            ([["@path": "$.x"], ["@path": "$.x.y"]], ["x"]),
            // The whole event, or a directive resolved per event from its options: any member.
            (["@path": "$."], nil),
            (["a": ["@path": "$.userId"], "b": ["@path": "$"]], nil),
            (["@template": "{{userId}} {{$.}}"], nil),
            (["@case": ["mode": "upper", "value": ["@path": "$.userId"]]], nil),
        ]
        for (mapping, members) in cases {
            #expect(CompiledMapping(mapping).eventMembers == members, "\(mapping)")
        }
    }

    @Test func anEventParsedForItsMembersResolvesAsTheWholeEvent() {
        var rng = FuzzRandom(seed: FuzzTests.seed &+ 11)
        var partial = 0
        for n in 0..<(FuzzTests.iterations * 4) {
            let mapping =
                n % 2 == 0 ? rng.randomMapping(depth: 0) : rng.mutate(FuzzCorpus.mappings[rng.below(FuzzCorpus.mappings.count)])
            let compiled = CompiledMapping(mapping)
            guard let members = compiled.eventMembers else { continue }
            partial += 1
            for event in FuzzCorpus.events {
                let parsed = try? JSONValue.parse(JSONWriter.encode(event), members: JSONMemberNames(members))
                #expect(compiled.resolve(in: parsed ?? .null) == compiled.resolve(in: event), "case \(n): \(mapping)")
            }
        }
        // The property is about something: most generated mappings name their members.
        #expect(partial > FuzzTests.iterations)
    }

    @Test func aPathToTheEventItselfIsTheWholeEvent() {
        for mapping: JSONValue in [["@path": "$."], ["@path": "$"], ["@path": ""]] {
            #expect(CompiledMapping(mapping).isWholeEvent, "\(mapping)")
            #expect(CompiledMapping(mapping).resolve(in: Self.event) == Self.event)
        }
        for mapping: JSONValue in [["@path": "$.userId"], ["data": ["@path": "$."]], ["@literal": ["@path": "$."]], ["@template": "{{$.}}"], "$."] {
            #expect(!CompiledMapping(mapping).isWholeEvent, "\(mapping)")
        }
    }
}

import SluiceCatalog
import SluiceCore
import Testing

@testable import SluiceDelivery

/// Every preset of the catalog, compiled as the Actions runtime compiles a subscription's settings, resolves to what
/// resolving each of its fields on its own gives, and prepares its payload as ``ActionPayload/prepare(_:fields:)`` does.
@Suite struct CompiledPresetsTests {
    static let events: [JSONValue] = [
        [:],
        [
            "type": "track", "event": "Order Completed", "userId": "u1", "anonymousId": "a1", "messageId": "m1",
            "timestamp": "2026-12-03T10:00:00.000Z",
            "properties": ["revenue": 12.5, "currency": "EUR", "products": [["product_id": "p1", "price": 2, "quantity": 3]]],
            "traits": ["email": "a@example.com", "name": "Ada"],
            "context": [
                "ip": "10.1.2.3", "locale": "en-GB", "userAgent": "Mozilla/5.0", "library": ["name": "analytics.js"],
                "device": ["id": "d1", "advertisingId": "ad1"], "page": ["url": "https://x.example/", "referrer": "https://r.example/"],
                "campaign": ["name": "winter", "source": "news"],
            ],
        ],
        ["type": "identify", "userId": 42, "traits": ["email": ["not", "text"]], "context": ["device": "flat"]],
    ]

    @Test func everyPresetCompilesToWhatItsFieldsResolveTo() {
        var checked = 0
        for destination in Catalog.embedded().destinations {
            for preset in destination.presets {
                let compiled = Mapping.CompiledSettings(preset.fields)
                let fields = destination.actions.first { $0.id == preset.actionId }?.fields ?? []
                let preparation = ActionPayload.Preparation(settings: preset.fields, checks: fields.map(ActionPayload.Check.init))
                for event in Self.events {
                    let resolved = compiled.resolve(in: event)
                    var one: [String: JSONValue] = [:]
                    for (key, mapping) in preset.fields { one[key] = Mapping.resolve(mapping, in: event) }
                    #expect(resolved == one, "\(destination.name): \(preset.name)")
                    #expect(preparation.payload(for: event) == ActionPayload.prepare(resolved, fields: fields), "\(destination.name): \(preset.name)")
                    checked += 1
                }
            }
        }
        #expect(checked >= 356 * Self.events.count)
    }

    @Test func everyPresetResolvesFromTheMembersItReadsAsFromTheWholeEvent() throws {
        var partial = 0
        var presets = 0
        for destination in Catalog.embedded().destinations {
            for preset in destination.presets {
                presets += 1
                let compiled = Mapping.CompiledSettings(preset.fields)
                guard let members = compiled.eventMembers else { continue }
                partial += 1
                for event in Self.events {
                    let parsed = try JSONValue.parse(JSONWriter.encode(event), members: JSONMemberNames(members))
                    #expect(compiled.resolve(in: parsed) == compiled.resolve(in: event), "\(destination.name): \(preset.name)")
                }
            }
        }
        // Most presets name what they read (those that do not are parsed whole).
        #expect(partial * 2 > presets, "\(partial) of \(presets)")
    }
}

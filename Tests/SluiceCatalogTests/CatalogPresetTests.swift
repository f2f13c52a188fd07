import SluiceCore
import Testing

@testable import SluiceCatalog

/// Segment's own subscription presets, sent as a subscription's settings, are accepted (issue 16's finding:
/// 48 of the catalog's 356 presets carry keys the catalog's field lists leave out).
@Suite struct CatalogPresetTests {
    static let catalog = Catalog.embedded()

    struct Case: Sendable, CustomTestStringConvertible {
        var destination: DestinationMetadata
        var preset: DestinationMetadata.Preset
        var testDescription: String { "\(destination.name): \(preset.name)" }
    }

    static let presets: [Case] = catalog.destinations.flatMap { d in d.presets.map { Case(destination: d, preset: $0) } }

    @Test func theCatalogHasItsPresets() {
        #expect(Self.presets.count == 356)
    }

    /// The one preset of the catalog whose value is not among its field's choices: Angler AI's
    /// "Save Event - Checkout Payment Info Submitted" sets `eventName` to `checkout_payment_info_submitted`, where the
    /// action's choices have `payment_info_submitted` (so in action-destinations too). Segment's runtime checks a payload
    /// against the field's choices and would refuse every event; Sluice refuses the preset when it is saved, saying why.
    static let outsideChoices = ("Angler AI", "Save Event - Checkout Payment Info Submitted")

    @Test(arguments: presets)
    func everyPresetIsAccepted(_ c: Case) throws {
        let action = try #require(c.destination.actions.first { $0.id == c.preset.actionId })
        let others = c.destination.unlistedFieldKeys(actionID: action.id)
        if (c.destination.name, c.preset.name) == Self.outsideChoices {
            #expect(
                throws: ValidationError(
                    "settings.eventName must be one of \"checkout_address_info_submitted\", \"checkout_completed\", "
                        + "\"checkout_contact_info_submitted\", \"checkout_shipping_info_submitted\", \"checkout_started\", "
                        + "\"payment_info_submitted\"",
                    field: "settings.eventName")
            ) {
                try ActionSettings.validate(c.preset.fields, fields: action.fields, enabled: false, otherFields: others)
            }
            return
        }
        // A preset is saved disabled first, as Segment's app adds it; its keys and values must all be accepted
        _ = try ActionSettings.validate(c.preset.fields, fields: action.fields, enabled: false, otherFields: others)
        // and a real typo is still refused
        var typo = c.preset.fields
        typo["batch_sise"] = 10
        #expect(throws: ValidationError.self) {
            try ActionSettings.validate(typo, fields: action.fields, enabled: false, otherFields: others)
        }
    }

    @Test func batchingKeysGoTogether() throws {
        // Given an action whose catalog fields list enable_batching and whose presets set batch_size (Mixpanel's Track Event)
        let mixpanel = try #require(Self.catalog.destinations.first { $0.name == "Mixpanel (Actions)" })
        let withBatching = mixpanel.actions.filter { action in
            !Set(action.fields.map(\.fieldKey)).isDisjoint(with: DestinationMetadata.batchingKeys)
        }
        #expect(!withBatching.isEmpty)
        for action in withBatching {
            // Then both batching keys are fields of it
            let all = Set(action.fields.map(\.fieldKey)).union(mixpanel.unlistedFieldKeys(actionID: action.id))
            #expect(all.isSuperset(of: DestinationMetadata.batchingKeys), "\(action.slug)")
        }
        // And an action with no batch form and no presets gains nothing: its fields stay the catalog's
        let plain = Self.catalog.destinations.flatMap { d in d.actions.map { (d, $0) } }.filter { d, action in
            !d.presets.contains { $0.actionId == action.id }
                && Set(action.fields.map(\.fieldKey)).isDisjoint(with: DestinationMetadata.batchingKeys)
        }
        #expect(!plain.isEmpty)
        for (d, action) in plain { #expect(d.unlistedFieldKeys(actionID: action.id).isEmpty, "\(d.name): \(action.slug)") }
        #expect(Self.catalog.destinations[0].unlistedFieldKeys(actionID: "no-such-action").isEmpty)
    }
}

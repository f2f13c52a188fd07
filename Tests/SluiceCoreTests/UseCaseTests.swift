import Foundation
import SluiceCore
import Testing

/// The use cases, called directly: what each change produces and which audit events it records, with a fixed clock
/// and ids (``Minting/sequential(start:step:)``).
enum UseCaseFixtures {
    static let start = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
    static let actor = "public-api-token/tok"

    /// A destination kind with one required option, a secret, and one Actions action with a PASSWORD field and a preset.
    static let metadata = DestinationMetadata(
        id: "meta1", name: "Example (Actions)", description: "", slug: "example-actions", logos: .init(default: ""),
        options: [.option("apiKey", "string", "", required: true), .option("region", "select", "us")], status: "PUBLIC",
        categories: [], website: "", components: [], previousNames: [],
        supportedMethods: .init(track: true, pageview: true, identify: true, group: true, alias: true),
        supportedPlatforms: .init(browser: false, mobile: false, server: true, warehouse: false, cloudAppObject: false),
        supportedFeatures: .init(
            cloudModeInstances: "", deviceModeInstances: "", replay: false, browserUnbundling: false, browserUnbundlingPublic: false),
        actions: [
            DestinationAction(
                id: "act1", slug: "send", name: "Send", description: "", platform: "CLOUD", hidden: false, defaultTrigger: nil,
                fields: [
                    ActionFixtures.field("url", "STRING", required: true),
                    ActionFixtures.field("token", "PASSWORD"),
                ])
        ],
        presets: [
            .init(actionId: "act1", name: "Send Tracks", fields: ["url": "https://example.com/hook"], trigger: "type = \"track\""),
            .init(actionId: "act1", name: "Broken", fields: ["nope": 1], trigger: "type = \"track\""),
        ],
        contacts: [], partnerOwned: false, supportedRegions: [], regionEndpoints: [])

    static func destination(minting: Minting, enabled: Bool = true) throws -> Destination {
        try DestinationUseCase.create(
            .init(sourceID: "src1", name: "", enabled: enabled, settings: ["apiKey": "k-123456789"]), metadata: metadata,
            workspaceID: "ws1", actor: actor, minting: minting
        ).resource
    }
}

@Suite struct MintingTests {
    @Test func sequentialIsDeterministicAndShapedAsTheSystemOne() {
        let a = Minting.sequential(start: UseCaseFixtures.start)
        let b = Minting.sequential(start: UseCaseFixtures.start)
        #expect([a.id(), a.id()] == [b.id(), b.id()])
        #expect(a.id().count == 22 && Minting.system.id().count == 22)
        #expect(a.writeKey().count == 32 && Minting.system.writeKey().count == 32)
        #expect(a.now() == UseCaseFixtures.start)
        #expect(a.now() == UseCaseFixtures.start.addingTimeInterval(1))
        #expect(Minting.system.id() != Minting.system.id())
    }

    @Test func everyReadingIsToTheMillisecondTheStoresKeep() {
        // A clock with sub-millisecond digits reads rounded, as the stores keep it, for every resource alike
        let minting = Minting.sequential(start: Date(timeIntervalSince1970: 1_767_225_600.123_6), step: 0.000_8)
        #expect(minting.now().timeIntervalSince1970 == 1_767_225_600.124)
        #expect(minting.now().timeIntervalSince1970 == 1_767_225_600.124)
        #expect(minting.now().timeIntervalSince1970 == 1_767_225_600.125)
        let system = Minting.system.now().timeIntervalSince1970 * 1000
        #expect(abs(system - system.rounded()) < 0.001)
    }
}

@Suite struct DestinationUseCaseTests {
    @Test func createOverlaysDefaultsAndRecordsTheCatalogNameWhenUnnamed() throws {
        let minting = Minting.sequential(start: UseCaseFixtures.start)
        let created = try DestinationUseCase.create(
            .init(sourceID: "src1", name: "", enabled: true, settings: ["apiKey": "k-1"]), metadata: UseCaseFixtures.metadata,
            workspaceID: "ws1", actor: UseCaseFixtures.actor, minting: minting)
        #expect(created.resource.id == "id00000000000000000001")
        #expect(created.resource.settings["region"] == "us")
        #expect(created.resource.createdAt == UseCaseFixtures.start && created.resource.updatedAt == UseCaseFixtures.start)
        #expect(created.audit.map(\.type) == [AuditEventType.integrationCreated])
        #expect(created.audit[0].resourceName == "Example (Actions)")
        #expect(created.audit[0].resourceID == created.resource.id && created.audit[0].actor == UseCaseFixtures.actor)
    }

    @Test func createRefusesAnEnabledDestinationWithoutItsRequiredOption() {
        #expect(throws: ValidationError.self) {
            try DestinationUseCase.create(
                .init(sourceID: "src1", name: "x", enabled: true, settings: [:]), metadata: UseCaseFixtures.metadata, workspaceID: "ws1",
                actor: UseCaseFixtures.actor, minting: .sequential())
        }
    }

    @Test func anUpdateThatChangesNothingRecordsNothingAndKeepsUpdatedAt() throws {
        let minting = Minting.sequential(start: UseCaseFixtures.start)
        let current = try UseCaseFixtures.destination(minting: minting)
        let same = try DestinationUseCase.update(
            current, with: .init(enabled: true, settings: ["region": "us"]), metadata: UseCaseFixtures.metadata, workspaceID: "ws1",
            actor: UseCaseFixtures.actor, minting: minting)
        #expect(same.resource == current)
        #expect(same.audit.isEmpty)
    }

    @Test func eachKindOfChangeRecordsItsOwnEvent() throws {
        let minting = Minting.sequential(start: UseCaseFixtures.start)
        let current = try UseCaseFixtures.destination(minting: minting)
        let changed = try DestinationUseCase.update(
            current, with: .init(name: "Mine", enabled: false, settings: ["region": "eu"]), metadata: UseCaseFixtures.metadata,
            workspaceID: "ws1", actor: UseCaseFixtures.actor, minting: minting)
        #expect(
            changed.audit.map(\.type) == [
                AuditEventType.integrationDisabled, AuditEventType.integrationSettingsModified, AuditEventType.integrationModified,
            ])
        #expect(changed.audit.allSatisfy { $0.resourceName == "Mine" })
        #expect(changed.resource.updatedAt > current.updatedAt)
        let cleared = try DestinationUseCase.update(
            changed.resource, with: .init(name: .some(nil)), metadata: UseCaseFixtures.metadata, workspaceID: "ws1",
            actor: UseCaseFixtures.actor, minting: minting)
        #expect(cleared.resource.name == "")
        #expect(cleared.audit.map(\.resourceName) == ["Example (Actions)"])
    }

    @Test func enablingChecksRequiredOptionsEvenWithoutSettings() throws {
        let minting = Minting.sequential()
        var current = try UseCaseFixtures.destination(minting: minting, enabled: false)
        current.settings["apiKey"] = ""
        #expect(throws: ValidationError.self) {
            try DestinationUseCase.update(
                current, with: .init(enabled: true), metadata: UseCaseFixtures.metadata, workspaceID: "ws1", actor: "a", minting: minting)
        }
    }
}

@Suite struct SourceUseCaseTests {
    @Test func createGivesOneWriteKeyAndRecordsTheSlugWhenUnnamed() throws {
        let created = try SourceUseCase.create(
            .init(slug: "web", name: nil, enabled: true, metadataID: "m", settings: [:]), workspaceID: "ws1", actor: "a",
            minting: .sequential())
        #expect(created.resource.writeKeys == ["wk000000000000000000000000000001"])
        #expect(created.audit.map(\.resourceName) == ["web"])
    }

    @Test(arguments: ["", "Web", "a b", String(repeating: "a", count: 101)])
    func aBadSlugIsRefused(slug: String) {
        #expect(throws: ValidationError.self) { try SourceUseCase.checkSlug(slug) }
    }

    @Test func updateRecordsEnabledAndModifiedSeparately() throws {
        let minting = Minting.sequential()
        let current = try SourceUseCase.create(
            .init(slug: "web", name: "Web", enabled: true, metadataID: "m", settings: ["a": 1]), workspaceID: "ws1", actor: "a",
            minting: minting
        ).resource
        let disabled = try SourceUseCase.update(current, with: .init(enabled: false), actor: "a", minting: minting)
        #expect(disabled.audit.map(\.type) == [AuditEventType.sourceDisabled])
        let renamed = try SourceUseCase.update(current, with: .init(settings: ["a": nil, "b": 2]), actor: "a", minting: minting)
        #expect(renamed.resource.settings == ["b": 2])
        #expect(renamed.audit.map(\.type) == [AuditEventType.sourceModified])
        let none = try SourceUseCase.update(current, with: .init(name: "Web"), actor: "a", minting: minting)
        #expect(none.audit.isEmpty && none.resource == current)
    }

    @Test func theLastWriteKeyStays() throws {
        let minting = Minting.sequential()
        let source = try SourceUseCase.create(
            .init(slug: "web", name: nil, enabled: true, metadataID: "m", settings: [:]), workspaceID: "ws1", actor: "a", minting: minting
        ).resource
        #expect(throws: StoreError.self) { try SourceUseCase.removeWriteKey(source.writeKeys[0], from: source, actor: "a", minting: minting) }
        let added = SourceUseCase.addWriteKey("second", to: source, actor: "a", minting: minting)
        #expect(added.resource.writeKeys == source.writeKeys + ["second"])
        #expect(added.audit.map(\.type) == [AuditEventType.writeKeyCreated])
        #expect(!added.audit.contains { $0.resourceName.contains("second") })
        let removed = try SourceUseCase.removeWriteKey(source.writeKeys[0], from: added.resource, actor: "a", minting: minting)
        #expect(removed.resource.writeKeys == ["second"])
    }

    @Test func deletingASourceRecordsItsDestinationsFirst() throws {
        let minting = Minting.sequential()
        let source = try SourceUseCase.create(
            .init(slug: "web", name: nil, enabled: true, metadataID: "m", settings: [:]), workspaceID: "ws1", actor: "a", minting: minting
        ).resource
        let destination = try UseCaseFixtures.destination(minting: minting)
        let audit = SourceUseCase.delete(source, destinations: [destination], actor: "a", minting: minting)
        #expect(audit.map(\.type) == [AuditEventType.integrationDeleted, AuditEventType.sourceDeleted])
    }
}

@Suite struct SubscriptionUseCaseTests {
    let minting = Minting.sequential(start: UseCaseFixtures.start)

    @Test func createChecksTheActionTriggerAndSettings() throws {
        let destination = try UseCaseFixtures.destination(minting: minting)
        func creation(
            action: String = "act1", trigger: String = "type = \"track\"", settings: [String: JSONValue] = ["url": "u"]
        )
            -> SubscriptionUseCase.Creation
        {
            .init(name: "S", actionID: action, trigger: trigger, enabled: true, settings: settings, modelID: "")
        }
        let created = try SubscriptionUseCase.create(
            creation(), destination: destination, metadata: UseCaseFixtures.metadata, actor: "a", minting: minting)
        #expect(created.resource.actionSlug == "send" && created.audit.map(\.type) == [AuditEventType.subscriptionCreated])
        for bad in [creation(action: "nope"), creation(trigger: "type = "), creation(settings: ["other": 1]), creation(settings: [:])] {
            #expect(throws: ValidationError.self) {
                try SubscriptionUseCase.create(bad, destination: destination, metadata: UseCaseFixtures.metadata, actor: "a", minting: minting)
            }
        }
        #expect(throws: ValidationError.self) {
            try SubscriptionUseCase.create(creation(), destination: destination, metadata: nil, actor: "a", minting: minting)
        }
    }

    @Test func presetsAreAllCheckedBeforeAnyIsMade() throws {
        let destination = try UseCaseFixtures.destination(minting: minting)
        let one = try SubscriptionUseCase.createFromPresets(
            ["Send Tracks"], enabled: true, destination: destination, metadata: UseCaseFixtures.metadata, actor: "a", minting: minting)
        #expect(one.map(\.resource.name) == ["Send Tracks"])
        #expect(one[0].resource.settings["url"] == "https://example.com/hook")
        let error = #expect(throws: ValidationError.self) {
            try SubscriptionUseCase.createFromPresets(
                nil, enabled: true, destination: destination, metadata: UseCaseFixtures.metadata, actor: "a", minting: minting)
        }
        #expect(error?.message.hasPrefix("Preset Broken: ") == true && error?.field == "presets")
    }

    @Test func aMaskedPasswordSentBackKeepsTheStoredOne() throws {
        let destination = try UseCaseFixtures.destination(minting: minting)
        let current = try SubscriptionUseCase.create(
            .init(
                name: "S", actionID: "act1", trigger: "type = \"track\"", enabled: true, settings: ["url": "u", "token": "secret-1234"],
                modelID: ""), destination: destination, metadata: UseCaseFixtures.metadata, actor: "a", minting: minting
        ).resource
        let fields = SubscriptionUseCase.fields(of: "act1", in: UseCaseFixtures.metadata)
        let shown = SubscriptionUseCase.masked(current.settings, fields: fields)
        #expect(shown["token"] != current.settings["token"] && shown["url"] == "u")
        let unchanged = try SubscriptionUseCase.update(
            current, with: .init(settings: ["token": shown["token"]!]), metadata: UseCaseFixtures.metadata, actor: "a", minting: minting)
        #expect(unchanged.resource == current && unchanged.audit.isEmpty)
        let error = #expect(throws: ValidationError.self) {
            try SubscriptionUseCase.update(
                current, with: .init(settings: ["other": 1]), metadata: UseCaseFixtures.metadata, actor: "a", minting: minting)
        }
        #expect(error?.field == "input.settings.other")
    }
}

@Suite struct FilterUseCaseTests {
    let minting = Minting.sequential(start: UseCaseFixtures.start.addingTimeInterval(0.0004))

    func creation(source: String = "src1") throws -> FilterUseCase.Creation {
        .init(
            sourceID: source, condition: try FilterQuery(parsing: "event = \"x\""), actions: [.drop], title: "T", description: nil, enabled: true)
    }

    @Test func aFilterBelongsToItsDestinationsSourceAndIsStampedToTheMillisecond() throws {
        let destination = try UseCaseFixtures.destination(minting: minting)
        #expect(throws: ValidationError.self) { try FilterUseCase.make(try creation(source: "other"), for: destination, minting: minting) }
        let filter = try FilterUseCase.make(try creation(), for: destination, minting: minting)
        #expect(filter.createdAt.timeIntervalSince1970 * 1000 == (filter.createdAt.timeIntervalSince1970 * 1000).rounded())
        let added = try FilterUseCase.add(filter, to: destination, actor: "a", minting: minting)
        #expect(added.resource.filters == [filter] && added.audit.map(\.type) == [AuditEventType.filterCreated])
    }

    @Test func theLimitHolds() throws {
        var destination = try UseCaseFixtures.destination(minting: minting)
        for _ in 0..<DestinationFilter.limit {
            destination = try FilterUseCase.add(
                try FilterUseCase.make(try creation(), for: destination, minting: minting), to: destination, actor: "a", minting: minting
            ).resource
        }
        let extra = try FilterUseCase.make(try creation(), for: destination, minting: minting)
        #expect(throws: ValidationError.self) { try FilterUseCase.add(extra, to: destination, actor: "a", minting: minting) }
    }

    @Test func updateAndRemoveNameAFilterOfTheDestination() throws {
        let base = try UseCaseFixtures.destination(minting: minting)
        let filter = try FilterUseCase.make(try creation(), for: base, minting: minting)
        let destination = try FilterUseCase.add(filter, to: base, actor: "a", minting: minting).resource
        #expect(throws: StoreError.self) {
            try FilterUseCase.update("nope", with: .init(enabled: false), in: destination, actor: "a", minting: minting)
        }
        let same = try FilterUseCase.update(filter.id, with: .init(title: "T"), in: destination, actor: "a", minting: minting)
        #expect(same.audit.isEmpty && same.resource == destination)
        let off = try FilterUseCase.update(
            filter.id, with: .init(description: .some("d"), enabled: false), in: destination, actor: "a", minting: minting)
        #expect(off.resource.filters[0].enabled == false && off.resource.filters[0].description == "d")
        #expect(off.audit.map(\.type) == [AuditEventType.filterModified])
        let removed = try FilterUseCase.remove(filter.id, from: destination, actor: "a", minting: minting)
        #expect(removed.resource.filters.isEmpty && removed.audit.map(\.resourceName) == ["T"])
    }
}

@Suite struct TokenUseCaseTests {
    @Test func aTokenKeepsOnlyItsHashAndIsNamedByItsKind() {
        let created = TokenUseCase.create(hash: "abc", readOnly: true, actor: "sluice/cli", minting: .sequential())
        #expect(created.resource.hash == "abc" && created.resource.readOnly)
        #expect(created.audit.map(\.resourceName) == ["read-only token"])
        #expect(TokenUseCase.revoke(id: "t", actor: "a", minting: .sequential()).map(\.type) == [AuditEventType.tokenDeleted])
    }
}

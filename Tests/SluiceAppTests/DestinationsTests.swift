import Foundation
import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceTesting
import Testing

@testable import SluiceApp

/// The seed's Amplitude response settings, masked, exactly as the seed shows them.
private let seedAmplitudeSettings: JSONValue = [
    "apiKey": "••••••••••dada", "appendFieldsToEventProps": [:], "batchEvents": false, "deviceIdFromUrlParam": false,
    "enableLocationListening": true, "endpoint": "", "eventUploadPeriodMillis": 30000, "eventUploadThreshold": 30,
    "forceHttps": false, "groupTypeTrait": "", "groupValueTrait": "", "mapQueryParams": [:], "preferAnonymousIdForDeviceId": false,
    "retarget": true, "saveParamsReferrerOncePerSession": true, "secretKey": "", "sendAlias": false, "sendToBatchEndpoint": false,
    "trackAllPages": false, "trackAllPagesV2": false, "trackCategorizedPages": true, "trackGclid": false, "trackNamedPages": true,
    "trackProductsOnce": false, "trackReferrer": true, "trackRevenuePerProduct": false, "trackSessionEvents": false,
    "trackUtmProperties": true, "traitsToAppend": [], "traitsToIncrement": [], "traitsToPrepend": [], "traitsToSetOnce": [],
    "unsetParamsReferrerOnNewSession": false, "useAdvertisingIdForDeviceId": false, "useAmplitudeReferral": false,
    "useCustomAmplitudeProperties": false, "useLogRevenueV2": true, "versionName": "",
]

@Suite struct DestinationsTests {
    @Test func seedAmplitudeCreate() async throws {
        try await TestHarness.withApp { client, store in
            let sourceID = try await client.createSource()
            // When the seed's request is sent
            let response = try await client.api(
                .post, "/destinations",
                json: [
                    "sourceId": .string(sourceID), "metadataId": "54521fd525e721e32a72ee91", "name": "my destination v1",
                    "settings": ["apiKey": "3cb9b589437d3904f19b2b791c2cdada", "retarget": true],
                ])
            // Then the answer has the seed's shape, field by field
            #expect(response.status == .ok, "\(response.text)")
            let destination = try #require(response.data["destination"]?.objectValue)
            #expect(Set(destination.keys) == ["id", "enabled", "name", "settings", "metadata", "sourceId"])
            #expect(destination["id"]?.stringValue?.count == 22)
            #expect(destination["enabled"] == true)
            #expect(destination["name"] == "my destination v1")
            #expect(destination["sourceId"] == .string(sourceID))
            #expect(destination["settings"] == seedAmplitudeSettings)
            let metadata = try #require(destination["metadata"])
            #expect(metadata["id"] == "54521fd525e721e32a72ee91")
            #expect(metadata["name"] == "Amplitude")
            #expect(metadata["slug"] == "amplitude")
            #expect(metadata["description"] == "")
            #expect(metadata["options"]?.arrayValue?.count == 37)
            #expect(metadata["supportedMethods"]?["pageview"] == true)
            #expect(metadata["supportedPlatforms"]?["warehouse"] == false)
            #expect(metadata["partnerOwned"] == false)
            #expect(metadata["contacts"] == [])
            // And the secret is stored in clear, never answered in clear
            let id = try #require(destination["id"]?.stringValue)
            #expect(try await store.destination(id: id)?.settings["apiKey"] == "3cb9b589437d3904f19b2b791c2cdada")
            #expect(!response.text.contains("3cb9b589437d3904f19b2b791c2cdada"))
        }
    }

    @Test func seedDisableUpdate() async throws {
        try await TestHarness.withApp { client, store in
            let sourceID = try await client.createSource()
            let created = try await client.api(
                .post, "/destinations",
                json: [
                    "sourceId": .string(sourceID), "metadataId": .string(Fixture.ga4),
                    "settings": ["apiSecret": "test-secret-1234", "firebaseAppId": "test", "measurementId": "test"],
                ])
            let id = try #require(created.data["destination"]?["id"]?.stringValue)
            let response = try await client.api(.patch, "/destinations/\(id)", json: ["enabled": false])
            #expect(response.status == .ok)
            let destination = try #require(response.data["destination"])
            #expect(destination["enabled"] == false)
            #expect(destination["name"] == "")
            #expect(destination["settings"] == ["apiSecret": "••••••••••1234", "firebaseAppId": "test", "measurementId": "test"])
            #expect(destination["metadata"]?["slug"] == "actions-google-analytics-4")
            #expect(destination["metadata"]?["actions"]?.arrayValue?.isEmpty == false)
            #expect(try await store.destination(id: id)?.enabled == false)
            let audit = try await client.api(.get, "/audit-events?pagination.count=5&resourceId=\(id)")
            #expect(audit.data["events"]?.arrayValue?.first?["type"] == "Integration Disabled")
        }
    }

    @Test func getAndListAndDelete() async throws {
        try await TestHarness.withApp { client, store in
            let sourceID = try await client.createSource()
            let a = try await client.createAmplitude(sourceID: sourceID)
            let b = try await client.createAmplitude(sourceID: sourceID)
            let got = try await client.api(.get, "/destinations/\(a)")
            #expect(got.status == .ok)
            #expect(got.data["destination"]?["settings"]?["apiKey"] == "••••••••••dada")
            expectError(try await client.api(.get, "/destinations"), .unprocessableContent, field: "pagination")
            let list = try await client.api(.get, "/destinations?pagination.count=1")
            #expect(list.data["destinations"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [a])
            #expect(list.data["pagination"]?["totalEntries"] == 2)
            #expect(list.data["pagination"]?["next"] == "MQ==")
            let connected = try await client.api(.get, "/sources/\(sourceID)/connected-destinations?pagination.count=10")
            #expect(connected.data["destinations"]?.arrayValue?.count == 2)
            // Delete, then delete again
            let deleted = try await client.api(.delete, "/destinations/\(a)")
            #expect(deleted.status == .ok)
            #expect(deleted.data == ["status": "SUCCESS"])
            expectError(try await client.api(.delete, "/destinations/\(a)"), .notFound, type: "NotFound")
            expectError(try await client.api(.get, "/destinations/\(a)"), .notFound)
            #expect(try await store.destination(id: b) != nil)
        }
    }

    /// A list long enough that `Responses.list` moves it into its buffer in several 32 KB parts: every item is still the
    /// destination's own answer, whole and in order, and a second read gives the same bytes.
    @Test func aListWrittenInSeveralPartsIsEachDestinationsOwnAnswer() async throws {
        try await TestHarness.withApp { client, _ in
            let sourceID = try await client.createSource()
            var ids: [String] = []
            for i in 0..<12 { ids.append(try await client.createAmplitude(sourceID: sourceID, apiKey: "key-\(i)-0123456789abcdef")) }
            let page = try await client.api(.get, "/destinations?pagination.count=200")
            #expect(page.status == .ok)
            #expect(page.body.count > 2 * (32 << 10))
            let items = try #require(page.data["destinations"]?.arrayValue)
            #expect(items.compactMap { $0["id"]?.stringValue }.sorted() == ids.sorted())
            for item in items {
                let id = try #require(item["id"]?.stringValue)
                #expect(item == (try await client.api(.get, "/destinations/\(id)")).data["destination"])
            }
            #expect(try await client.api(.get, "/destinations?pagination.count=200").body == page.body)
        }
    }

    /// A create whose settings are refused reads its source, so that a missing source is still the answer; when that
    /// read fails, the answer is the store's 503, not the settings' 422 or a 500.
    @Test func aRefusedCreateWhoseSourceCannotBeReadIs503() async throws {
        try await TestHarness.withApp { client, store in
            let sourceID = try await client.createSource()
            try await store.close()
            // Kinesis refuses settings without its required stream
            let answer = try await client.api(
                .post, "/destinations", json: ["sourceId": .string(sourceID), "metadataId": .string(Fixture.kinesis), "settings": [:]])
            expectError(answer, .serviceUnavailable, type: "ServiceUnavailable")
        }
    }

    @Test func unknownSourceOrMetadataIs404NamingWhich() async throws {
        try await TestHarness.withApp { client, store in
            let sourceID = try await client.createSource()
            let noSource = try await client.api(
                .post, "/destinations", json: ["sourceId": "nope", "metadataId": .string(Fixture.amplitude), "settings": ["apiKey": "k"]])
            expectError(noSource, .notFound, field: "sourceId")
            let noMetadata = try await client.api(
                .post, "/destinations", json: ["sourceId": .string(sourceID), "metadataId": "nope", "settings": [:]])
            expectError(noMetadata, .notFound, field: "metadataId")
            #expect(try await store.listDestinations(sourceID: nil, page: PageRequest(count: 5)).totalEntries == 0)
        }
    }

    @Test func aSourceIDThatLooksRightButIsUnknownIs404WhateverTheSettings() async throws {
        try await TestHarness.withApp { client, store in
            let unknown = Identifier.make()
            let audited = try await store.listAuditEvents(filter: AuditFilter(), page: PageRequest(count: 200)).totalEntries
            // Settings Kinesis takes, then settings it refuses (its required stream missing): the missing source first.
            for settings: JSONValue in [["stream": "events"], [:]] {
                let answer = try await client.api(
                    .post, "/destinations", json: ["sourceId": .string(unknown), "metadataId": .string(Fixture.kinesis), "settings": settings])
                expectError(answer, .notFound, field: "sourceId")
                #expect(answer.error["message"]?.stringValue == "No source with sourceId \(unknown)")
            }
            // With a source, the refused settings are the answer.
            let sourceID = try await client.createSource()
            let refused = try await client.api(
                .post, "/destinations", json: ["sourceId": .string(sourceID), "metadataId": .string(Fixture.kinesis), "settings": [:]])
            expectError(refused, .unprocessableContent, field: "settings.stream")
            #expect(try await store.listDestinations(sourceID: nil, page: PageRequest(count: 5)).totalEntries == 0)
            // Nothing was audited but the source.
            #expect(try await store.listAuditEvents(filter: AuditFilter(), page: PageRequest(count: 200)).totalEntries == audited + 1)
        }
    }

    static let amp = JSONValue.string("54521fd525e721e32a72ee91")
    static let empty = JSONValue.object([:])
    static let badCreates: [(JSONValue, String)] = [
        (body(["metadataId": amp, "settings": empty]), "sourceId"),
        (body(["sourceId": "x", "settings": empty]), "metadataId"),
        (body(["sourceId": "x", "metadataId": amp]), "settings"),
        (body(["sourceId": .number(12), "metadataId": amp, "settings": empty]), "sourceId"),
        (body(["sourceId": "x", "metadataId": .array(["a"]), "settings": empty]), "metadataId"),
        (body(["sourceId": "x", "metadataId": amp, "settings": "apiKey=1"]), "settings"),
        (body(["sourceId": "x", "metadataId": amp, "settings": .array([]), "enabled": .bool(true)]), "settings"),
        (body(["sourceId": "x", "metadataId": amp, "settings": empty, "enabled": "true"]), "enabled"),
        (body(["sourceId": "x", "metadataId": amp, "settings": empty, "name": .number(5)]), "name"),
        (body(["sourceId": "x", "metadataId": amp, "settings": empty, "name": .string(String(repeating: "n", count: 10_000))]), "name"),
    ]

    static func body(_ fields: [String: JSONValue]) -> JSONValue { .object(fields) }

    @Test(arguments: badCreates)
    func badCreateIs422NamingTheField(body: JSONValue, field: String) async throws {
        try await TestHarness.withApp { client, store in
            let response = try await client.api(.post, "/destinations", json: body)
            expectError(response, .unprocessableContent, type: "ValidationFailure", field: field)
            #expect(try await store.listDestinations(sourceID: nil, page: PageRequest(count: 5)).totalEntries == 0)
        }
    }

    @Test func settingsAreCheckedByType() async throws {
        try await TestHarness.withApp { client, store in
            let sourceID = try await client.createSource()
            for (key, value) in [
                ("apiKey", JSONValue.number(5)), ("batchEvents", "yes"), ("eventUploadThreshold", "30"),
                ("traitsToAppend", "a"), ("mapQueryParams", [1]),
            ] {
                let response = try await client.api(
                    .post, "/destinations",
                    json: ["sourceId": .string(sourceID), "metadataId": .string(Fixture.amplitude), "settings": ["apiKey": "k", key: value]])
                expectError(response, .unprocessableContent, field: "settings.\(key)")
            }
            #expect(try await store.listDestinations(sourceID: nil, page: PageRequest(count: 5)).totalEntries == 0)
        }
    }

    @Test func unknownTopLevelFieldsAreIgnored() async throws {
        try await TestHarness.withApp { client, _ in
            let sourceID = try await client.createSource()
            let response = try await client.api(
                .post, "/destinations",
                json: ["sourceId": .string(sourceID), "metadataId": .string(Fixture.amplitude), "settings": ["apiKey": "k"], "colour": "red"])
            #expect(response.status == .ok)
        }
    }

    @Test func requiredOptionsOnlyWhenEnabled() async throws {
        try await TestHarness.withApp { client, store in
            let sourceID = try await client.createSource()
            let enabled = try await client.api(
                .post, "/destinations", json: ["sourceId": .string(sourceID), "metadataId": .string(Fixture.kinesis), "settings": [:]])
            expectError(enabled, .unprocessableContent, field: "settings.stream")
            let disabled = try await client.api(
                .post, "/destinations",
                json: ["sourceId": .string(sourceID), "metadataId": .string(Fixture.kinesis), "settings": [:], "enabled": false])
            #expect(disabled.status == .ok)
            let id = try #require(disabled.data["destination"]?["id"]?.stringValue)
            // The read-only secretId holds the workspace id
            let workspaceID = try await store.workspace().id
            #expect(disabled.data["destination"]?["settings"]?["secretId"] == .string(workspaceID))
            // Enabling with required options empty names them
            let enabling = try await client.api(.patch, "/destinations/\(id)", json: ["enabled": true])
            expectError(enabling, .unprocessableContent, field: "settings.stream")
            #expect(enabling.error["message"]?.stringValue?.contains("settings.stream") == true)
            #expect(try await store.destination(id: id)?.enabled == false)
            let fixed = try await client.api(.patch, "/destinations/\(id)", json: ["enabled": true, "settings": ["stream": "events"]])
            #expect(fixed.status == .ok, "\(fixed.text)")
            #expect(fixed.data["destination"]?["enabled"] == true)
        }
    }

    @Test func readOnlySettings() async throws {
        try await TestHarness.withApp { client, store in
            let sourceID = try await client.createSource()
            let created = try await client.api(
                .post, "/destinations",
                json: ["sourceId": .string(sourceID), "metadataId": .string(Fixture.kinesis), "settings": ["stream": "s", "secretId": "mine"]])
            let id = try #require(created.data["destination"]?["id"]?.stringValue)
            let workspaceID = try await store.workspace().id
            #expect(created.data["destination"]?["settings"]?["secretId"] == .string(workspaceID))
            // Only read-only settings: 400, nothing changed
            let only = try await client.api(.patch, "/destinations/\(id)", json: ["settings": ["secretId": "other"]])
            expectError(only, .badRequest, field: "settings.secretId")
            // Mixed: the writable ones apply
            let mixed = try await client.api(.patch, "/destinations/\(id)", json: ["settings": ["secretId": "other", "stream": "t"]])
            #expect(mixed.status == .ok)
            #expect(mixed.data["destination"]?["settings"]?["stream"] == "t")
            #expect(mixed.data["destination"]?["settings"]?["secretId"] == .string(workspaceID))
        }
    }

    @Test func updateMergesResetsAndKeepsMaskedSecrets() async throws {
        try await TestHarness.withApp { client, store in
            let sourceID = try await client.createSource()
            let id = try await client.createAmplitude(sourceID: sourceID)
            // Read, edit one key, write the whole (masked) settings back
            var settings = try #require(try await client.api(.get, "/destinations/\(id)").data["destination"]?["settings"]?.objectValue)
            settings["versionName"] = "2.0"
            settings["trackGclid"] = true
            let written = try await client.api(.patch, "/destinations/\(id)", json: ["settings": .object(settings), "name": "renamed"])
            #expect(written.status == .ok)
            var stored = try #require(try await store.destination(id: id))
            #expect(stored.settings["apiKey"] == "3cb9b589437d3904f19b2b791c2cdada")
            #expect(stored.settings["versionName"] == "2.0")
            #expect(stored.name == "renamed")
            // null resets to the default; a clear value replaces the secret; name null clears it
            let reset = try await client.api(
                .patch, "/destinations/\(id)", json: ["settings": ["versionName": nil, "apiKey": "newkey-9999"], "name": nil])
            #expect(reset.status == .ok)
            #expect(reset.data["destination"]?["settings"]?["apiKey"] == "••••••••••9999")
            #expect(reset.data["destination"]?["name"] == "")
            stored = try #require(try await store.destination(id: id))
            #expect(stored.settings["versionName"] == "")
            #expect(stored.settings["apiKey"] == "newkey-9999")
            // A missing body is a 400 (the document requires one); an empty object changes nothing
            let before = try await store.destination(id: id)
            let empty = try await client.api(.patch, "/destinations/\(id)", rawBody: "")
            #expect(empty.status == .badRequest)
            #expect(empty.error["message"] == "The request body is empty: send a JSON object")
            let emptyObject = try await client.api(.patch, "/destinations/\(id)", json: [:])
            #expect(emptyObject.status == .ok)
            #expect(try await store.destination(id: id) == before)
        }
    }

    @Test func badUpdatesChangeNothing() async throws {
        try await TestHarness.withApp { client, store in
            let sourceID = try await client.createSource()
            let id = try await client.createAmplitude(sourceID: sourceID)
            let before = try await store.destination(id: id)
            expectError(try await client.api(.patch, "/destinations/\(id)", json: ["enabled": "no"]), .unprocessableContent, field: "enabled")
            expectError(
                try await client.api(.patch, "/destinations/\(id)", json: ["settings": ["apiKey": 1]]), .unprocessableContent,
                field: "settings.apiKey")
            expectError(
                try await client.api(.patch, "/destinations/\(id)", json: ["settings": ["apiKey": ""]]), .unprocessableContent,
                field: "settings.apiKey")
            expectError(try await client.api(.patch, "/destinations/\(id)", rawBody: "{"), .badRequest)
            #expect(try await store.destination(id: id) == before)
        }
    }

    @Test(arguments: ["abc%20def", "a%22b", String(repeating: "x", count: 300), "%00", "..%2F..%2Fetc", "%E2%98%83"])
    func oddIdsAre404(id: String) async throws {
        try await TestHarness.withApp { client, _ in
            expectError(try await client.api(.get, "/destinations/\(id)"), .notFound)
            expectError(try await client.api(.patch, "/destinations/\(id)", json: [:]), .notFound)
            expectError(try await client.api(.delete, "/destinations/\(id)"), .notFound)
        }
    }

    @Test func concurrentUpdatesOfDifferentKeysAllLand() async throws {
        try await TestHarness.withApp { client, store in
            let sourceID = try await client.createSource()
            let id = try await client.createAmplitude(sourceID: sourceID)
            let keys = ["groupTypeTrait", "groupValueTrait", "versionName", "endpoint"]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for key in keys {
                    group.addTask {
                        let response = try await client.api(.patch, "/destinations/\(id)", json: ["settings": [key: .string("v-\(key)")]])
                        #expect(response.status == .ok)
                        // The answer is the state this update produced: its own key is set
                        #expect(response.data["destination"]?["settings"]?[key] == .string("v-\(key)"))
                    }
                }
                try await group.waitForAll()
            }
            let stored = try #require(try await store.destination(id: id))
            for key in keys { #expect(stored.settings[key] == .string("v-\(key)")) }
        }
    }
}

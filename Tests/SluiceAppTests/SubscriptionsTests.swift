import Foundation
import Hummingbird
import HummingbirdTesting
import SluiceCatalog
import SluiceCore
import SluiceTesting
import Testing

@testable import SluiceApp

extension TestClientProtocol {
    /// Creates a Webhooks (Actions) destination on a new source; returns (sourceID, destinationID).
    func createWebhookDestination(sharedSecret: String = "") async throws -> (String, String) {
        let sourceID = try await createSource()
        let response = try await api(
            .post, "/destinations",
            json: ["sourceId": .string(sourceID), "metadataId": .string(Fixture.webhooks), "settings": ["sharedSecret": .string(sharedSecret)]])
        #expect(response.status == .ok, "\(response.text)")
        return (sourceID, try #require(response.data["destination"]?["id"]?.stringValue))
    }
}

enum WebhookAction {
    static let send = "nFPnRozhz1mh4Gbx4MLvT5"
}

@Suite struct SubscriptionsTests {
    let alpha: HTTPFields = [.accept: "application/vnd.segment.v1alpha+json"]

    @Test func createListGetUpdateRemove() async throws {
        try await TestHarness.withApp { client, store in
            let (_, destinationID) = try await client.createWebhookDestination()
            let base = "/destinations/\(destinationID)/subscriptions"
            // Create (the seed's request, with the action's required url)
            let created = try await client.api(
                .post, base,
                json: ["name": "Example Subscription", "actionId": .string(WebhookAction.send), "trigger": "type = \"track\"", "enabled": false],
                headers: alpha)
            #expect(created.status == .ok, "\(created.text)")
            #expect(created.headers[.contentType] == "application/vnd.segment.v1alpha+json")
            let subscription = try #require(created.data["destinationSubscription"]?.objectValue)
            #expect(Set(subscription.keys) == ["id", "name", "actionId", "actionSlug", "destinationId", "modelId", "enabled", "trigger", "settings"])
            #expect(subscription["actionSlug"] == "send")
            #expect(subscription["modelId"] == "")
            #expect(subscription["enabled"] == false)
            #expect(subscription["trigger"] == "type = \"track\"")
            // Defaults fill in what was not sent
            #expect(subscription["settings"]?["method"] == "POST")
            #expect(subscription["settings"]?["data"] == ["@path": "$."])
            let id = try #require(subscription["id"]?.stringValue)
            // List and get
            let list = try await client.api(.get, "\(base)?pagination.count=10")
            #expect(list.data["subscriptions"]?.arrayValue?.count == 1)
            #expect(list.data["pagination"]?["totalEntries"] == 1)
            let got = try await client.api(.get, "\(base)/\(id)")
            #expect(got.data["subscription"]?["name"] == "Example Subscription")
            // Update with the input wrapper
            let updated = try await client.api(.patch, "\(base)/\(id)", json: ["input": ["name": "Updated name"]])
            #expect(updated.status == .ok, "\(updated.text)")
            let u = try #require(updated.data["subscription"]?.objectValue)
            #expect(u["name"] == "Updated name")
            #expect(u["reverseETLModelId"] == "")
            #expect(u["relatedResources"] == [])
            #expect(u["createdAt"]?.stringValue.flatMap(Timestamps.parse) != nil)
            #expect(u["updatedAt"]?.stringValue.flatMap(Timestamps.parse) != nil)
            // Enabling without the required url names it
            let enabling = try await client.api(.patch, "\(base)/\(id)", json: ["input": ["enabled": true]])
            expectError(enabling, .unprocessableContent, field: "input.settings.url")
            let enabled = try await client.api(
                .patch, "\(base)/\(id)", json: ["input": ["enabled": true, "settings": ["url": "https://example.com/hook"]]])
            #expect(enabled.status == .ok, "\(enabled.text)")
            #expect(enabled.data["subscription"]?["settings"]?["url"] == "https://example.com/hook")
            // Remove, then 404
            let removed = try await client.api(.delete, "\(base)/\(id)")
            #expect(removed.data == ["status": "SUCCESS"])
            expectError(try await client.api(.get, "\(base)/\(id)"), .notFound)
            expectError(try await client.api(.delete, "\(base)/\(id)"), .notFound)
            let audit = try await store.listAuditEvents(filter: AuditFilter(resourceType: "subscription"), page: PageRequest(count: 10))
            #expect(
                audit.items.map(\.type) == [
                    "Destination Subscription Deleted", "Destination Subscription Modified", "Destination Subscription Modified",
                    "Destination Subscription Created",
                ])
        }
    }

    @Test func errorCasesStoreNothing() async throws {
        try await TestHarness.withApp { client, store in
            let (sourceID, destinationID) = try await client.createWebhookDestination()
            let base = "/destinations/\(destinationID)/subscriptions"
            let valid: [String: JSONValue] = [
                "name": "s", "actionId": .string(WebhookAction.send), "trigger": "type = \"track\"", "enabled": true,
                "settings": ["url": "https://example.com"],
            ]
            func with(_ key: String, _ value: JSONValue?) -> JSONValue {
                var body = valid
                body[key] = value
                return .object(body)
            }
            expectError(try await client.api(.post, "/destinations/nope/subscriptions", json: .object(valid)), .notFound)
            expectError(try await client.api(.post, base, json: with("actionId", "nope")), .unprocessableContent, field: "actionId")
            expectError(try await client.api(.post, base, json: with("trigger", "type = ")), .unprocessableContent, field: "trigger")
            let ambiguous = try await client.api(.post, base, json: with("trigger", "type = \"a\" and event = \"b\" or event = \"c\""))
            expectError(ambiguous, .unprocessableContent, field: "trigger")
            #expect(ambiguous.error["message"]?.stringValue?.contains("character") == true)
            expectError(try await client.api(.post, base, json: with("settings", ["url": 5])), .unprocessableContent, field: "settings.url")
            expectError(
                try await client.api(.post, base, json: with("settings", ["url": "x", "colour": "red"])), .unprocessableContent,
                field: "settings.colour")
            expectError(
                try await client.api(.post, base, json: with("settings", ["url": ["@nope": 1]])), .unprocessableContent, field: "settings.url")
            expectError(try await client.api(.post, base, json: with("settings", [:])), .unprocessableContent, field: "settings.url")
            expectError(try await client.api(.post, base, json: with("enabled", nil)), .unprocessableContent, field: "enabled")
            expectError(try await client.api(.post, base, json: with("name", nil)), .unprocessableContent, field: "name")
            // An Amplitude destination has no actions
            let amplitude = try await client.createAmplitude(sourceID: sourceID)
            expectError(
                try await client.api(.post, "/destinations/\(amplitude)/subscriptions", json: .object(valid)), .unprocessableContent,
                field: "actionId")
            #expect(try await store.listSubscriptions(destinationID: destinationID, page: PageRequest(count: 10)).totalEntries == 0)
            // Mapping directives are accepted
            let mapped = try await client.api(
                .post, base, json: with("settings", ["url": ["@template": "https://example.com/{{userId}}"], "data": ["@path": "$.properties"]]))
            #expect(mapped.status == .ok, "\(mapped.text)")
            // Deleting the destination takes its subscriptions with it
            _ = try await client.api(.delete, "/destinations/\(destinationID)")
            #expect(try await store.subscriptions(destinationIDs: [destinationID]).isEmpty)
        }
    }

    @Test func unservedMediaTypeIs406() async throws {
        try await TestHarness.withApp { client, _ in
            let (_, destinationID) = try await client.createWebhookDestination()
            let response = try await client.api(
                .get, "/destinations/\(destinationID)/subscriptions?pagination.count=5", headers: [.accept: "application/vnd.segment.v1+json"])
            expectError(response, .notAcceptable)
        }
    }

    @Test func featureFlagOffIs403() async throws {
        try await TestHarness.withApp(settings: .testing(subscriptions: false)) { client, _ in
            let (_, destinationID) = try await client.createWebhookDestination()
            let base = "/destinations/\(destinationID)/subscriptions"
            for (method, path) in [
                (HTTPRequest.Method.get, "\(base)?pagination.count=5"), (.post, base), (.get, "\(base)/x"), (.patch, "\(base)/x"),
                (.delete, "\(base)/x"),
            ] {
                let response = try await client.api(method, path, json: method == .get || method == .delete ? nil : [:])
                expectError(response, .forbidden, type: "Forbidden")
                #expect(response.error["message"]?.stringValue?.contains("Destination Subscriptions") == true)
            }
        }
    }

    @Test func segmentsOwnPresetIsAcceptedAsSettings() async throws {
        try await TestHarness.withApp { client, _ in
            // Given a Mixpanel (Actions) destination and the catalog's "Track Calls" preset, whose keys include
            // batch_size and context that the catalog's field list of the action leaves out
            let sourceID = try await client.createSource()
            let created = try await client.api(
                .post, "/destinations",
                json: [
                    "sourceId": .string(sourceID), "metadataId": "615c7438d93d9b61b1e9e192",
                    "settings": ["apiSecret": "secret-1234", "projectToken": "token"],
                ])
            #expect(created.status == .ok, "\(created.text)")
            let destinationID = try #require(created.data["destination"]?["id"]?.stringValue)
            let catalog = try await client.api(.get, "/catalog/destinations/615c7438d93d9b61b1e9e192")
            let preset = try #require(
                catalog.data["destinationMetadata"]?["presets"]?.arrayValue?.first { $0["name"] == "Track Calls" })
            // When it is sent as a subscription's settings
            let subscription = try await client.api(
                .post, "/destinations/\(destinationID)/subscriptions",
                json: [
                    "name": "Track Calls", "actionId": preset["actionId"] ?? nil, "trigger": preset["trigger"] ?? nil, "enabled": true,
                    "settings": preset["fields"] ?? nil,
                ],
                headers: alpha)
            // Then it is saved as sent
            #expect(subscription.status == .ok, "\(subscription.text)")
            #expect(subscription.data["destinationSubscription"]?["settings"]?["batch_size"] == 1000)
            // And a misspelt key is still refused, naming it
            guard case .object(var fields)? = preset["fields"] else { Issue.record("no fields"); return }
            fields["batch_sise"] = 10
            let typo = try await client.api(
                .post, "/destinations/\(destinationID)/subscriptions",
                json: [
                    "name": "typo", "actionId": preset["actionId"] ?? nil, "trigger": "type = \"track\"", "enabled": false,
                    "settings": .object(fields),
                ],
                headers: alpha)
            expectError(typo, .unprocessableContent, field: "settings.batch_sise")
        }
    }
}

extension SubscriptionsTests {
    @Test func presetsBecomeSubscriptionsInOneStep() async throws {
        try await TestHarness.withApp { client, store in
            // Given an Amplitude (Actions) destination
            let sourceID = try await client.createSource()
            let created = try await client.api(
                .post, "/destinations",
                json: ["sourceId": .string(sourceID), "metadataId": "5f7dd6d21ad74f3842b1fc47", "settings": ["apiKey": "k", "secretKey": "s"]])
            let destinationID = try #require(created.data["destination"]?["id"]?.stringValue)
            let presets = "/destinations/\(destinationID)/subscriptions/presets"

            // When an unknown preset is named among known ones, nothing is created
            let unknown = try await client.api(.post, presets, json: ["presets": ["Track Calls", "Tracks Calls"]], headers: alpha)
            expectError(unknown, .unprocessableContent, field: "presets")
            #expect(unknown.error["message"]?.stringValue?.contains("Tracks Calls is not a preset of Amplitude (Actions)") == true)
            expectError(
                try await client.api(.post, presets, json: ["presets": "Track Calls"], headers: alpha), .unprocessableContent, field: "presets")
            let none = try await client.api(.get, "/destinations/\(destinationID)/subscriptions?pagination.count=10")
            #expect(none.data["subscriptions"]?.arrayValue?.isEmpty == true)

            // When every preset is asked for
            let all = try await client.api(.post, presets, json: [:], headers: alpha)

            // Then each cloud preset is a subscription with its name, trigger and fields (the browser-only one is left out)
            #expect(all.status == .ok, "\(all.text)")
            #expect(all.headers[.contentType] == "application/vnd.segment.v1alpha+json")
            let made = try #require(all.data["subscriptions"]?.arrayValue)
            #expect(
                Set(made.compactMap { $0["name"]?.stringValue })
                    == ["Track Calls", "Order Completed Calls", "Page Calls", "Screen Calls", "Identify Calls"])
            let track = try #require(made.first { $0["name"] == "Track Calls" })
            #expect(track["trigger"] == "type = \"track\" and event != \"Order Completed\"")
            #expect(track["actionSlug"] == "logEventV2")
            #expect(track["enabled"] == true)
            #expect(track["settings"]?["event_type"] == ["@path": "$.event"])
            let listed = try await client.api(.get, "/destinations/\(destinationID)/subscriptions?pagination.count=10")
            #expect(listed.data["subscriptions"]?.arrayValue?.count == 5)
            let audit = try await store.listAuditEvents(filter: AuditFilter(resourceType: "subscription"), page: PageRequest(count: 10))
            #expect(audit.items.filter { $0.type == "Destination Subscription Created" }.count == 5)

            // And one named preset can be added disabled
            let one = try await client.api(.post, presets, json: ["presets": ["Identify Calls"], "enabled": false], headers: alpha)
            #expect(one.data["subscriptions"]?.arrayValue?.map { $0["enabled"] } == [false])
        }
    }

    @Test func aPresetSluiceRefusesStopsTheWholeRequest() async throws {
        try await TestHarness.withApp { client, _ in
            // Given an Angler AI destination, one of whose presets sets a value outside its field's choices
            let angler = try #require(SluiceCatalog.Catalog.embedded().destinations.first { $0.name == "Angler AI" })
            let sourceID = try await client.createSource()
            let created = try await client.api(
                .post, "/destinations",
                json: ["sourceId": .string(sourceID), "metadataId": .string(angler.id), "settings": ["accessToken": "t-1234", "workspaceId": "w-1"]])
            #expect(created.status == .ok, "\(created.text)")
            let destinationID = try #require(created.data["destination"]?["id"]?.stringValue)

            // When every preset is asked for
            let response = try await client.api(.post, "/destinations/\(destinationID)/subscriptions/presets", json: [:], headers: alpha)

            // Then the refused preset is named and no subscription is created, not even the good ones
            expectError(response, .unprocessableContent, field: "presets")
            #expect(response.error["message"]?.stringValue?.hasPrefix("Preset Save Event - Checkout Payment Info Submitted:") == true)
            let listed = try await client.api(.get, "/destinations/\(destinationID)/subscriptions?pagination.count=10")
            #expect(listed.data["subscriptions"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func aDestinationWithoutPresetsSaysSo() async throws {
        try await TestHarness.withApp { client, _ in
            let (_, destinationID) = try await client.createWebhookDestination()
            let response = try await client.api(.post, "/destinations/\(destinationID)/subscriptions/presets", json: [:], headers: alpha)
            expectError(response, .unprocessableContent, field: "presets")
            expectError(try await client.api(.post, "/destinations/nope/subscriptions/presets", json: [:], headers: alpha), .notFound)
        }
    }
}

@Suite struct RateLimitTests {
    @Test func everySuccessCarriesTheHeaders() async throws {
        try await TestHarness.withApp(settings: .testing(rateLimit: true)) { client, _ in
            let first = try await client.api(.get, "/")
            let second = try await client.api(.get, "/")
            #expect(first.headers[.rateLimitConsumed] == "1")
            #expect(second.headers[.rateLimitConsumed] == "2")
            #expect(second.headers[.rateLimitRemaining] == String(AppSettings.testing().generalRateLimit - 2))
            let reset = try #require(second.headers[.rateLimitReset])
            #expect(reset.hasSuffix(" GMT"))
        }
    }

    @Test func subscriptionWritesAreLimitedToFiveAMinute() async throws {
        try await TestHarness.withApp(settings: .testing(rateLimit: true)) { client, store in
            let (_, destinationID) = try await client.createWebhookDestination()
            let base = "/destinations/\(destinationID)/subscriptions"
            let body: JSONValue = ["name": "s", "actionId": .string(WebhookAction.send), "trigger": "type = \"track\"", "enabled": false]
            for i in 1...5 {
                let response = try await client.api(.post, base, json: body)
                #expect(response.status == .ok)
                #expect(response.headers[.rateLimitRemaining] == String(5 - i))
            }
            let limited = try await client.api(.post, base, json: body)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.error["type"] == "RequestError")
            #expect(limited.error["message"] == "Too many requests")
            #expect(limited.error["data"]?["remainingPoints"] == 0)
            #expect(limited.error["data"]?["msBeforeNext"]?.numberValue.map { $0 > 0 && $0 <= 60_000 } == true)
            #expect(limited.headers[.retryAfter].flatMap { Int($0) }.map { $0 >= 1 && $0 <= 60 } == true)
            #expect(try await store.listSubscriptions(destinationID: destinationID, page: PageRequest(count: 10)).totalEntries == 5)
            // Reads are not in that bucket
            #expect(try await client.api(.get, "\(base)?pagination.count=10").status == .ok)
        }
    }

    @Test func theGeneralLimitAnswers429WithRetryAfter() async throws {
        var settings = AppSettings.testing(rateLimit: true)
        settings.generalRateLimit = 3
        try await TestHarness.withApp(settings: settings) { client, _ in
            // Given a token that has used its general allowance
            for _ in 1...3 { #expect(try await client.api(.get, "/sources?pagination.count=1").status == .ok) }
            // When it sends one more request
            let limited = try await client.api(.get, "/sources?pagination.count=1")
            // Then it gets Segment's 429 with Retry-After in whole seconds
            #expect(limited.status == .tooManyRequests)
            #expect(limited.error["type"] == "RequestError")
            #expect(limited.error["data"]?["remainingPoints"] == 0)
            #expect(limited.headers[.retryAfter].flatMap { Int($0) }.map { $0 >= 1 && $0 <= 60 } == true)
        }
    }

    @Test func windowsRestart() {
        let clock = MutableClock()
        let limiter = RateLimiter(window: 60, now: { clock.now })
        let bucket = RateLimiter.Bucket(name: "t", limit: 2)
        #expect(limiter.consume(bucket, key: "k").allowed)
        #expect(limiter.consume(bucket, key: "k").allowed)
        #expect(!limiter.consume(bucket, key: "k").allowed)
        #expect(limiter.consume(bucket, key: "other").allowed)
        clock.now = clock.now.addingTimeInterval(60)
        #expect(limiter.consume(bucket, key: "k").allowed)
    }

    @Test func offMeansNoHeaders() async throws {
        try await TestHarness.withApp(settings: .testing(rateLimit: false)) { client, _ in
            let response = try await client.api(.get, "/")
            #expect(response.headers[.rateLimitConsumed] == nil)
        }
    }
}

/// A clock a test moves by hand.
final class MutableClock: @unchecked Sendable {
    var now = Date(timeIntervalSince1970: 1_800_000_000)
}

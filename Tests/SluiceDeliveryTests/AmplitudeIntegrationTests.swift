import Foundation
import SluiceCatalog
import SluiceCore
import Testing

@testable import SluiceDelivery

/// Amplitude (Actions) through the catalog's presets, with events built as Segment's own tests build them
/// (`createTestEvent` in segmentio/action-destinations) and the requests its tests expect.
@Suite struct AmplitudeIntegrationTests {
    static let metadata = Catalog.embedded().destination(id: AmplitudeIntegration.metadataID)!
    let amplitude = AmplitudeIntegration(metadata: Self.metadata, now: { Date(timeIntervalSince1970: 1_700_000_000) })
    static let settings: [String: JSONValue] = ["apiKey": "amp-key", "secretKey": "amp-secret", "endpoint": "north_america"]

    /// Segment's `createTestEvent`, with a fixed timestamp.
    static func testEvent(_ overrides: [String: JSONValue] = [:]) -> JSONValue {
        var event: [String: JSONValue] = [
            "anonymousId": "anonId1234",
            "context": [
                "ip": "8.8.8.8",
                "library": ["name": "analytics.js", "version": "2.11.1"],
                "locale": "en-US",
                "location": ["city": "San Francisco", "country": "United States", "latitude": 40.2964197, "longitude": -76.9411617, "speed": 0],
                "page": ["path": "/academy/", "referrer": "", "search": "", "title": "Analytics Academy", "url": "https://segment.com/academy/"],
                "timezone": "Europe/Amsterdam",
                "userAgent": """
                Mozilla/5.0 (iPhone; CPU iPhone OS 9_1 like Mac OS X) AppleWebKit/601.1.46 (KHTML, like Gecko) \
                Version/9.0 Mobile/13B143 Safari/601.1
                """,
            ],
            "event": "Test Event", "messageId": "m-1", "properties": [:], "timestamp": "2021-08-17T15:21:15.449Z", "traits": [:],
            "type": "track", "userId": "user1234",
        ]
        event.merge(overrides) { _, new in new }
        return .object(event)
    }

    /// A subscription made from the catalog preset `name`, its settings checked and filled as the API stores them.
    static func presetTarget(_ name: String, change: [String: JSONValue] = [:]) throws -> DeliveryTarget {
        let preset = try #require(metadata.presets.first { $0.name == name })
        let action = try #require(metadata.actions.first { $0.id == preset.actionId })
        var fields = preset.fields
        fields.merge(change) { _, new in new }
        let stored = try ActionSettings.validate(
            fields, fields: action.fields, enabled: true, otherFields: metadata.unlistedFieldKeys(actionID: action.id))
        return DeliveryTarget(actionSlug: action.slug, subscriptionSettings: stored, destinationSettings: settings)
    }

    func onlyRequest(_ event: JSONValue, _ target: DeliveryTarget) throws -> HTTPRequestSpec {
        let plan = amplitude.runtime.requests(for: [event], to: target)
        #expect(plan.count == 1)
        let requests = try plan[0].requests.get()
        #expect(requests.count == 1)
        return try #require(requests.first)
    }

    @Test func anEventParsedForWhatThePresetReadsMakesTheSameRequest() throws {
        // Given the Track Calls preset: what it reads of an event, and Segment's test event parsed for that alone
        let target = try Self.presetTarget("Track Calls")
        let members = try #require(amplitude.eventMembers(for: target))
        #expect(members.isSuperset(of: ["event", "userId", "properties", "context"]))
        let stored = JSONWriter.encode(Self.testEvent(["messageId": "m-1", "unread": ["a": 1]]))
        let parsed = try JSONValue.parse(stored, members: JSONMemberNames(members))
        let left = try #require(try JSONValue.parse(stored).objectValue).keys.filter { !members.contains($0) }
        #expect(left.contains("unread"))
        for key in left { #expect(parsed[key] == nil, "\(key)") }

        // Then its request is the whole event's
        #expect(try onlyRequest(parsed, target) == onlyRequest(try JSONValue.parse(stored), target))
        // And an action Sluice does not have reads nothing
        #expect(amplitude.eventMembers(for: DeliveryTarget(actionSlug: "sessionId", subscriptionSettings: [:], destinationSettings: [:])) == [])
    }

    @Test func trackCallsPresetSendsSegmentsEvent() throws {
        // Given the Track Calls preset and Segment's test event
        let target = try Self.presetTarget("Track Calls")

        // When the request is built
        let request = try onlyRequest(Self.testEvent(), target)

        // Then it is Segment's: the httpapi endpoint, the key, one event with the user agent's device and system
        #expect(request.method == "POST")
        #expect(request.url == "https://api2.amplitude.com/2/httpapi")
        #expect(request.header("Content-Type") == "application/json")
        let expected: JSONValue = [
            "api_key": "amp-key",
            "events": [
                [
                    "city": "San Francisco", "country": "United States", "device_id": "anonId1234", "device_manufacturer": "Apple",
                    "device_model": "iPhone", "device_type": "mobile", "event_properties": [:], "event_type": "Test Event", "ip": "8.8.8.8",
                    "language": "en-US", "library": "segment", "location_lat": 40.2964197, "location_lng": -76.9411617, "os_name": "iOS",
                    "os_version": "9", "platform": "Web", "time": 1_629_213_675_449, "use_batch_endpoint": false, "user_id": "user1234",
                    "user_properties": [:],
                ]
            ],
        ]
        #expect(try JSONValue.parse(request.body) == expected)
    }

    @Test func platformIsCapitalisedAndContextWinsOverTheUserAgent() throws {
        // Given a device type of "ios" and a context os (Segment's "changes casing for device type" test)
        let target = try Self.presetTarget("Track Calls")
        var event = Self.testEvent().objectValue!
        var context = event["context"]!.objectValue!
        context["device"] = ["id": "foo", "type": "ios"]
        context["os"] = ["name": "iPhone OS", "version": "8.1.3"]
        event["context"] = .object(context)

        // When the request is built
        let body = try JSONValue.parse(onlyRequest(.object(event), target).body)

        // Then the platform is iOS, the device id is the context's, and the context's system wins
        let sent = try #require(body["events"]?.arrayValue?.first)
        #expect(sent["platform"] == "iOS")
        #expect(sent["device_id"] == "foo")
        #expect(sent["os_name"] == "iPhone OS")
        #expect(sent["os_version"] == "8.1.3")
    }

    @Test func batchEndpointAndEuropeanRegion() throws {
        // Given use_batch_endpoint and the Europe region
        var target = try Self.presetTarget("Track Calls", change: ["use_batch_endpoint": true])
        target.destinationSettings["endpoint"] = "europe"

        // Then the request goes to the EU batch endpoint
        #expect(try onlyRequest(Self.testEvent(), target).url == "https://api.eu.amplitude.com/batch")
    }

    @Test func minIDLengthAndUserPropertyOperations() throws {
        // Given min_id_length and setAlways/add mappings with values
        let target = try Self.presetTarget(
            "Track Calls",
            change: ["min_id_length": 3, "setAlways": ["plan": ["@path": "$.properties.plan"]], "add": ["logins": 1]])

        // When an event carries the plan
        let body = try JSONValue.parse(onlyRequest(Self.testEvent(["properties": ["plan": "pro"]]), target).body)

        // Then options carry the minimum and user_properties the $set and $add operations
        #expect(body["options"] == ["min_id_length": 3])
        let sent = try #require(body["events"]?.arrayValue?.first)
        #expect(sent["user_properties"] == ["$set": ["plan": "pro"], "$add": ["logins": 1]])
    }

    @Test func orderCompletedSendsRevenueAndOneEventPerProduct() throws {
        // Given the Order Completed preset and an order with revenue and two products
        let target = try Self.presetTarget("Order Completed Calls")
        let event = Self.testEvent([
            "event": "Order Completed",
            "properties": [
                "revenue": 30, "products": [["price": 10, "quantity": 1, "productId": "p1"], ["price": 10, "quantity": 2, "productId": "p2"]],
            ],
        ])

        // When the request is built
        let body = try JSONValue.parse(onlyRequest(event, target).body)

        // Then the main event carries the revenue and each product is a "Product Purchased" event
        let events = try #require(body["events"]?.arrayValue)
        #expect(events.count == 3)
        #expect(events[0]["event_type"] == "Order Completed")
        #expect(events[0]["revenue"] == 30)
        #expect(events[0]["revenueType"] == "Purchase")
        #expect(events[1]["event_type"] == "Product Purchased")
        #expect(events[1]["event_properties"] == ["price": 10, "quantity": 1, "productId": "p1"])
        #expect(events[2]["event_properties"]?["productId"] == "p2")
        #expect(events[1]["revenue"] == nil)
        #expect(events.allSatisfy { $0["library"] == "segment" })
    }

    @Test func revenuePerProduct() throws {
        // Given trackRevenuePerProduct
        let target = try Self.presetTarget("Order Completed Calls", change: ["trackRevenuePerProduct": true])
        let event = Self.testEvent([
            "event": "Order Completed",
            "properties": ["revenue": 30, "products": [["price": 10, "quantity": 2, "productId": "p2"]]],
        ])

        // When the request is built
        let events = try #require(try JSONValue.parse(onlyRequest(event, target).body)["events"]?.arrayValue)

        // Then the revenue moves to the product: price × quantity
        #expect(events[0]["revenue"] == nil)
        #expect(events[1]["revenue"] == 20)
        #expect(events[1]["quantity"] == 2)
        #expect(events[1]["price"] == 10)
        #expect(events[1]["productId"] == "p2")
    }

    @Test func identifyIsAFormWithTheIdentification() throws {
        // Given the Identify Calls preset and an identify with traits and a referrer
        let target = try Self.presetTarget("Identify Calls")
        var event = Self.testEvent(["type": "identify", "traits": ["name": "Ada"]]).objectValue!
        var context = event["context"]!.objectValue!
        context["page"] = ["referrer": "https://example.com/"]
        event["context"] = .object(context)

        // When the request is built
        let request = try onlyRequest(.object(event), target)

        // Then it is a form post to /identify with Segment's fields, options=undefined as Segment sends it
        #expect(request.url == "https://api2.amplitude.com/identify")
        #expect(request.header("Content-Type") == "application/x-www-form-urlencoded;charset=UTF-8")
        let form = Self.formFields(request.body)
        #expect(form.map(\.0) == ["api_key", "identification", "options"])
        #expect(form[0].1 == "amp-key")
        #expect(form[2].1 == "undefined")
        let identification = try JSONValue.parse(Array(form[1].1.utf8))
        #expect(identification["user_id"] == "user1234")
        #expect(identification["library"] == "segment")
        #expect(
            identification["user_properties"]
                == ["name": "Ada", "$set": ["referrer": "https://example.com/"], "$setOnce": ["initial_referrer": "https://example.com/"]])
    }

    @Test func groupIdentifyMakesTwoRequestsAndStopsAtTheFirstFailure() async throws {
        // Given a groupIdentifyUser subscription
        let action = try #require(Self.metadata.actions.first { $0.slug == "groupIdentifyUser" })
        let settings = try ActionSettings.validate(
            ["group_type": "company", "group_value": ["@path": "$.groupId"]], fields: action.fields, enabled: true)
        let target = DeliveryTarget(actionSlug: "groupIdentifyUser", subscriptionSettings: settings, destinationSettings: Self.settings)
        let event = Self.testEvent(["type": "group", "groupId": "g1", "traits": ["plan": "pro"]])

        // When it is delivered and the first request fails with 503
        let failing = RecordingSender(status: 503)
        let outcomes = await amplitude.deliver([event], to: target, sender: failing.sender)

        // Then the identify is tried, the groupidentify is not, and the event is retried
        #expect(failing.requests.map(\.url) == ["https://api2.amplitude.com/identify"])
        #expect(outcomes.first?.isRetryable == true)

        // And when both succeed, both are sent in order with the association and the group's properties
        let ok = RecordingSender()
        #expect(await amplitude.deliver([event], to: target, sender: ok.sender) == [.success(status: 200)])
        #expect(ok.requests.map(\.url) == ["https://api2.amplitude.com/identify", "https://api2.amplitude.com/groupidentify"])
        let association = try JSONValue.parse(Array(Self.formFields(ok.requests[0].body)[1].1.utf8))
        #expect(
            association == [
                [
                    "device_id": "anonId1234", "groups": ["company": "g1"], "library": "segment", "time": 1_629_213_675_449, "user_id": "user1234",
                    "user_properties": ["company": "g1"],
                ]
            ])
        let group = try JSONValue.parse(Array(Self.formFields(ok.requests[1].body)[1].1.utf8))
        #expect(group == [["group_properties": ["plan": "pro"], "group_type": "company", "group_value": "g1", "library": "segment"]])
    }

    @Test func mapUserSendsTheMapping() throws {
        // Given a mapUser subscription with the catalog defaults
        let action = try #require(Self.metadata.actions.first { $0.slug == "mapUser" })
        let settings = try ActionSettings.validate([:], fields: action.fields, enabled: true)
        let target = DeliveryTarget(actionSlug: "mapUser", subscriptionSettings: settings, destinationSettings: Self.settings)

        // When an alias is planned
        let request = try onlyRequest(Self.testEvent(["type": "alias", "previousId": "old-id"]), target)

        // Then the mapping goes to /usermap, without options
        #expect(request.url == "https://api.amplitude.com/usermap")
        let form = Self.formFields(request.body)
        #expect(form.map(\.0) == ["api_key", "mapping"])
        #expect(try JSONValue.parse(Array(form[1].1.utf8)) == [["global_user_id": "user1234", "user_id": "old-id"]])
    }

    @Test func aMissingEventTypeIsDiscardedWithSegmentsMessage() async throws {
        // Given the Track Calls preset and an event without a name
        let target = try Self.presetTarget("Track Calls")
        var event = Self.testEvent().objectValue!
        event["event"] = nil

        // When it is delivered
        let recorder = RecordingSender()
        let outcomes = await amplitude.deliver([.object(event)], to: target, sender: recorder.sender)

        // Then nothing is sent and the event is discarded, saying which field is missing
        #expect(recorder.requests.isEmpty)
        #expect(outcomes == [.discarded(reason: "payload validation failed: The root value is missing the required field 'event_type'.")])
    }

    @Test func aMissingAPIKeyIsDiscarded() async throws {
        // Given a destination without its API key
        var target = try Self.presetTarget("Track Calls")
        target.destinationSettings["apiKey"] = nil

        // Then the event is discarded for its settings
        let outcomes = await amplitude.deliver([Self.testEvent()], to: target, sender: RecordingSender().sender)
        #expect(outcomes == [.invalidSettings("the destination setting apiKey is required")])
    }

    @Test func userAgentsOfCommonFamilies() {
        let chrome = UserAgent(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36")
        #expect(chrome.osName == "Mac OS" && chrome.browserName == "Chrome" && chrome.browserMajor == "120")
        #expect(chrome.deviceVendor == "Apple" && chrome.deviceModel == "Macintosh" && chrome.deviceType == nil)
        let android = UserAgent(
            "Mozilla/5.0 (Linux; Android 13; SM-S901B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Mobile Safari/537.36")
        #expect(android.osName == "Android" && android.osVersion == "13" && android.deviceVendor == "Samsung" && android.deviceModel == "SM-S901B")
        #expect(android.deviceType == "mobile")
        let iphone = UserAgent(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 9_1 like Mac OS X) AppleWebKit/601.1.46 (KHTML, like Gecko) Version/9.0 Mobile/13B143 Safari/601.1")
        #expect(iphone == UserAgent.parsed(os: "iOS", "9.1", browser: "Mobile Safari", "9", device: "Apple", "iPhone", "mobile"))
        let ipod = UserAgent(
            "Mozilla/5.0 (iPod touch; CPU iPhone OS 12_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                + "Version/12.1.2 Mobile/15E148 Safari/604.1")
        #expect(ipod.deviceModel == "iPod" && ipod.deviceType == "mobile" && ipod.osVersion == "12.5")
        let ipad = UserAgent(
            "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1")
        #expect(ipad.deviceModel == "iPad" && ipad.deviceType == "tablet" && ipad.osName == "iOS" && ipad.osVersion == "16.6")
        let pixel = UserAgent(
            "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UD1A.230803.041) AppleWebKit/537.36 (KHTML, like Gecko) "
                + "Chrome/120.0.6099.43 Mobile Safari/537.36")
        #expect(pixel.deviceVendor == "Google" && pixel.deviceModel == "Pixel 8" && pixel.browserName == "Chrome" && pixel.browserMajor == "120")
        let edge = UserAgent(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61")
        #expect(edge.browserName == "Edge" && edge.browserMajor == "120")
        #expect(UserAgent("curl/8.4.0") == UserAgent.parsed(os: nil, nil, browser: nil, nil, device: nil, nil, nil))
        let windows = UserAgent("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0")
        #expect(windows.osName == "Windows" && windows.osVersion == "10" && windows.browserName == "Firefox" && windows.browserMajor == "121")
    }

    /// The name-value pairs of a form body, decoded.
    static func formFields(_ body: [UInt8]) -> [(String, String)] {
        String(decoding: body, as: UTF8.self).split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
    }
}

extension UserAgent {
    /// A parse result, for comparing whole.
    static func parsed(
        os: String?, _ osVersion: String?, browser: String?, _ major: String?, device vendor: String?, _ model: String?, _ type: String?
    ) -> UserAgent {
        var agent = UserAgent("")
        (agent.osName, agent.osVersion, agent.browserName, agent.browserMajor) = (os, osVersion, browser, major)
        (agent.deviceVendor, agent.deviceModel, agent.deviceType) = (vendor, model, type)
        return agent
    }
}

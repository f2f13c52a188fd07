import Foundation
import SluiceCore

/// Amplitude (Actions), catalog id `5f7dd6d21ad74f3842b1fc47`: every cloud action of Segment's `amplitude`
/// destination, building the same requests.
///
/// Destination settings: `apiKey` (required), `secretKey`, `endpoint` (`north_america`, the default, or `europe`).
///
/// | action | request |
/// | --- | --- |
/// | `logEventV2`, `logEvent`, `logPurchase` | `POST /2/httpapi` (or `/batch` with `use_batch_endpoint`), JSON `{"api_key", "events", "options"}` |
/// | `identifyUser` | `POST /identify`, form fields `api_key`, `identification` (a JSON object), `options` |
/// | `groupIdentifyUser` | `POST /identify` (when there is a user or device id), then `POST /groupidentify` |
/// | `mapUser` | `POST /usermap`, form fields `api_key`, `mapping` (a JSON array), `options` when set |
///
/// What each event carries follows Segment's code: revenue fields left out of `logEventV2` and `logEvent`
/// events; `logPurchase`'s revenue (price × quantity when both are numbers) on the main event, or per product with
/// `trackRevenuePerProduct`, and one `Product Purchased` event per product; `time` and `session_id` as epoch
/// milliseconds; `platform` with `ios`/`android` capitalised, `Web` for analytics.js when empty; `$setOnce`, `$set`
/// and `$add` user properties from `setOnce`, `setAlways` and `add`; UTM and referrer user properties for
/// `logEvent`, `logPurchase` and `identifyUser`; `options` with `min_id_length` when it is above 0; `library`
/// `segment`. Like Segment's, the identify form sends `options=undefined` when there is no `min_id_length`.
///
/// Where Sluice differs: `userAgentParsing` derives `os_name`, `os_version`, `device_manufacturer`, `device_model` and
/// `device_type` with ``UserAgent`` (the common browsers and systems), not with Amplitude's full ua-parser-js; JSON
/// members are in sorted order, not Segment's insertion order.
public struct AmplitudeIntegration: ActionsIntegration {
    /// The catalog id of Amplitude (Actions).
    public static let metadataID = "5f7dd6d21ad74f3842b1fc47"

    public let runtime: ActionsRuntime
    /// The clock, for `groupIdentifyUser`'s association time when the event has none (Segment takes the time then).
    let now: @Sendable () -> Date

    /// Creates the integration with the actions' fields from the catalog entry.
    public init(metadata: DestinationMetadata?, now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
        let groupIdentify: @Sendable ([String: JSONValue], [String: JSONValue]) throws(ActionFailure) -> [HTTPRequestSpec] = {
            payload, settings throws(ActionFailure) in try Self.groupIdentifyUser(payload, settings, now: now())
        }
        runtime = ActionsRuntime(
            actions: [
                ActionImplementation(slug: "logEventV2") { payload, settings throws(ActionFailure) in
                    [try Self.logEvent(payload, settings, kind: .v2)]
                },
                ActionImplementation(slug: "logEvent") { payload, settings throws(ActionFailure) in
                    [try Self.logEvent(payload, settings, kind: .v1)]
                },
                ActionImplementation(slug: "logPurchase") { payload, settings throws(ActionFailure) in
                    [try Self.logEvent(payload, settings, kind: .purchase)]
                },
                ActionImplementation(slug: "identifyUser", perform: Self.identifyUser),
                ActionImplementation(slug: "groupIdentifyUser", perform: groupIdentify),
                ActionImplementation(slug: "mapUser", perform: Self.mapUser),
            ],
            metadata: metadata)
    }

    // MARK: - Endpoints

    /// Amplitude's endpoints by region; an unknown region is North America, as in Segment's `getEndpointByRegion`.
    static func endpoint(_ name: String, region: String?) -> String {
        let europe = region == "europe"
        switch name {
        case "batch": return europe ? "https://api.eu.amplitude.com/batch" : "https://api2.amplitude.com/batch"
        case "httpapi": return europe ? "https://api.eu.amplitude.com/2/httpapi" : "https://api2.amplitude.com/2/httpapi"
        case "identify": return europe ? "https://api.eu.amplitude.com/identify" : "https://api2.amplitude.com/identify"
        case "groupidentify": return europe ? "https://api.eu.amplitude.com/groupidentify" : "https://api2.amplitude.com/groupidentify"
        default: return europe ? "https://api.eu.amplitude.com/usermap" : "https://api.amplitude.com/usermap"
        }
    }

    // MARK: - logEventV2, logEvent, logPurchase

    enum EventKind { case v2, v1, purchase }

    static let revenueKeys = ["revenue", "price", "productId", "quantity", "revenueType"]

    /// The payload's keys that are not members of the event as they stand: the revenue fields, what is converted
    /// (time, session, user agent, user properties), and the batching keys, which are settings of the subscription.
    static func consumedKeys(_ kind: EventKind) -> [String] {
        switch kind {
        case .v2: consumedByV2
        case .v1: consumedByV1
        case .purchase: consumedByPurchase
        }
    }

    private static let consumedByAll =
        revenueKeys + [
            "time", "session_id", "userAgent", "userAgentParsing", "includeRawUserAgent", "userAgentData", "min_id_length", "library", "library2",
        ]
        + DestinationMetadata.batchingKeys.sorted()
    private static let consumedByV2 = consumedByAll + ["setOnce", "setAlways", "add"]
    private static let consumedByV1 = consumedByAll + ["utm_properties", "referrer"]
    private static let consumedByPurchase = consumedByAll + ["utm_properties", "referrer", "products", "trackRevenuePerProduct"]

    static func logEvent(_ payload: [String: JSONValue], _ settings: [String: JSONValue], kind: EventKind) throws(ActionFailure) -> HTTPRequestSpec {
        let apiKey = try settings.requiredSetting("apiKey")
        var properties = payload
        for key in consumedKeys(kind) { properties[key] = nil }

        fixPlatform(&properties, library: payload["library"])
        if let time = payload["time"], let millis = time.epochMillis { properties["time"] = .number(millis) }
        if let session = payload["session_id"], JavaScript.isTruthy(session), let millis = sessionID(session) {
            properties["session_id"] = .number(millis)
        }
        switch kind {
        case .v2:
            for (name, key) in [("$setOnce", "setOnce"), ("$set", "setAlways"), ("$add", "add")] {
                guard case .object(let object)? = payload[key], object.values.contains(where: { $0 != .string("") }) else { continue }
                var userProperties = properties["user_properties"]?.objectValue ?? [:]
                userProperties[name] = .object(object)
                properties["user_properties"] = .object(userProperties)
            }
        case .v1, .purchase:
            if hasUTMOrReferrer(payload) {
                var userProperties = properties["user_properties"]?.objectValue ?? [:]
                userProperties["utm_properties"] = nil
                userProperties["referrer"] = nil
                properties["user_properties"] = .object(
                    mergeUserProperties([utmProperties(payload["utm_properties"]), referrerProperties(payload["referrer"]), userProperties]))
            }
        }

        // The user agent's properties, under the event's own.
        var event = properties
        var derived = payload["userAgentParsing"]?.boolValue == true ? userAgentProperties(payload) : [:]
        if payload["includeRawUserAgent"]?.boolValue == true, let agent = payload["userAgent"] { derived["user_agent"] = agent }
        for (key, value) in derived where event[key] == nil { event[key] = value }
        var events: [JSONValue] = []
        if kind == .purchase {
            let products = payload["products"]?.arrayValue ?? []
            let perProduct = payload["trackRevenuePerProduct"]?.boolValue == true
            if products.isEmpty || !perProduct { event.merge(revenueProperties(payload)) { _, new in new } }
            event["library"] = "segment"
            events.append(.object(event))
            for product in products {
                var productEvent = properties
                if perProduct { productEvent.merge(revenueProperties(product.objectValue ?? [:])) { _, new in new } }
                productEvent["event_properties"] = product
                productEvent["event_type"] = "Product Purchased"
                if case .string(let insertID)? = properties["insert_id"], !insertID.isEmpty {
                    productEvent["insert_id"] = .string("\(insertID)-\(events.count + 1)")
                } else {
                    productEvent["insert_id"] = nil
                }
                productEvent["library"] = "segment"
                events.append(.object(productEvent))
            }
        } else {
            event["library"] = "segment"
            events.append(.object(event))
        }
        var body: [String: JSONValue] = ["api_key": .string(apiKey), "events": .array(events)]
        if let minimum = minIDLength(payload) { body["options"] = ["min_id_length": .number(minimum)] }
        let name = payload["use_batch_endpoint"]?.boolValue == true ? "batch" : "httpapi"
        return .json(endpoint(name, region: settings.text("endpoint")), body: .object(body))
    }

    /// Segment's `getRevenueProperties`: nothing without revenue (price × quantity when both are numbers).
    static func revenueProperties(_ source: [String: JSONValue]) -> [String: JSONValue] {
        var revenue = source["revenue"]
        if case .number(let quantity)? = source["quantity"], case .number(let price)? = source["price"] {
            revenue = .number(quantity * price)
        }
        guard let revenue, JavaScript.isTruthy(revenue) else { return [:] }
        var result: [String: JSONValue] = ["revenue": revenue, "revenueType": source["revenueType"].flatMap { $0 == .null ? nil : $0 } ?? "Purchase"]
        if case .number(let quantity)? = source["quantity"] { result["quantity"] = .number(JavaScript.round(quantity)) }
        result["price"] = source["price"]
        result["productId"] = source["productId"]
        return result
    }

    // MARK: - identifyUser

    static func identifyUser(_ payload: [String: JSONValue], _ settings: [String: JSONValue]) throws(ActionFailure) -> [HTTPRequestSpec] {
        let apiKey = try settings.requiredSetting("apiKey")
        var properties = payload
        for key in [
            "utm_properties", "referrer", "userAgent", "userAgentParsing", "includeRawUserAgent", "userAgentData", "min_id_length", "library",
        ]
            + DestinationMetadata.batchingKeys.sorted()
        {
            properties[key] = nil
        }
        fixPlatform(&properties, library: payload["library"])
        if hasUTMOrReferrer(payload) {
            var userProperties = properties["user_properties"]?.objectValue ?? [:]
            userProperties["utm_properties"] = nil
            userProperties["referrer"] = nil
            properties["user_properties"] = .object(
                mergeUserProperties([userProperties, utmProperties(payload["utm_properties"]), referrerProperties(payload["referrer"])]))
        }
        var identification = payload["userAgentParsing"]?.boolValue == true ? userAgentProperties(payload) : [:]
        if payload["includeRawUserAgent"]?.boolValue == true, let agent = payload["userAgent"] { identification["user_agent"] = agent }
        identification.merge(properties) { _, new in new }
        identification["library"] = "segment"
        return [
            .form(
                endpoint("identify", region: settings.text("endpoint")),
                fields: [
                    ("api_key", apiKey),
                    ("identification", encode(.object(identification))),
                    ("options", minIDLength(payload).map { encode(["min_id_length": .number($0)]) } ?? "undefined"),
                ])
        ]
    }

    // MARK: - groupIdentifyUser

    static func groupIdentifyUser(
        _ payload: [String: JSONValue], _ settings: [String: JSONValue], now: Date
    ) throws(ActionFailure) -> [HTTPRequestSpec] {
        let apiKey = try settings.requiredSetting("apiKey")
        let region = settings.text("endpoint")
        let groupType = javaScriptKey(payload["group_type"])
        let association: JSONValue = .object([groupType: payload["group_value"] ?? .null])
        let options = minIDLength(payload).map { encode(["min_id_length": .number($0)]) } ?? "undefined"
        var requests: [HTTPRequestSpec] = []
        if JavaScript.isTruthy(payload["user_id"] ?? .null) || JavaScript.isTruthy(payload["device_id"] ?? .null) {
            var identification: [String: JSONValue] = ["groups": association, "library": "segment", "user_properties": association]
            identification["device_id"] = payload["device_id"]
            identification["insert_id"] = payload["insert_id"]
            identification["user_id"] = payload["user_id"]
            // dayjs.utc(time).valueOf(): the time given, now when there is none, NaN (null in JSON) when unreadable.
            switch payload["time"] {
            case nil: identification["time"] = .number((now.timeIntervalSince1970 * 1000).rounded(.down))
            case let time?: identification["time"] = time.epochMillis.map(JSONValue.number) ?? .null
            }
            requests.append(
                .form(
                    endpoint("identify", region: region),
                    fields: [("api_key", apiKey), ("identification", encode([.object(identification)])), ("options", options)]))
        }
        var group: [String: JSONValue] = ["library": "segment"]
        group["group_properties"] = payload["group_properties"]
        group["group_value"] = payload["group_value"]
        group["group_type"] = payload["group_type"]
        requests.append(
            .form(
                endpoint("groupidentify", region: region),
                fields: [("api_key", apiKey), ("identification", encode([.object(group)])), ("options", options)]))
        return requests
    }

    // MARK: - mapUser

    static func mapUser(_ payload: [String: JSONValue], _ settings: [String: JSONValue]) throws(ActionFailure) -> [HTTPRequestSpec] {
        let apiKey = try settings.requiredSetting("apiKey")
        var mapping = payload
        for key in DestinationMetadata.batchingKeys { mapping[key] = nil }
        var fields: [(name: String, value: String)] = [("api_key", apiKey), ("mapping", encode([.object(mapping)]))]
        if let minimum = minIDLength(payload) { fields.append(("options", encode(["min_id_length": .number(minimum)]))) }
        return [.form(endpoint("usermap", region: settings.text("endpoint")), fields: fields)]
    }

    // MARK: - Shared rules

    /// `platform` with the first `ios` and `android` (any case) written `iOS` and `Android`; `Web` when empty and the
    /// library is analytics.js.
    static func fixPlatform(_ properties: inout [String: JSONValue], library: JSONValue?) {
        if case .string(let platform)? = properties["platform"], !platform.isEmpty {
            properties["platform"] = .string(replaceFirst("android", in: replaceFirst("ios", in: platform, with: "iOS"), with: "Android"))
        }
        if library == .string("analytics.js"), !JavaScript.isTruthy(properties["platform"] ?? .null) {
            properties["platform"] = "Web"
        }
    }

    private static func replaceFirst(_ needle: String, in text: String, with replacement: String) -> String {
        guard let range = text.range(of: needle, options: .caseInsensitive) else { return text }
        return text.replacingCharacters(in: range, with: replacement)
    }

    /// `options.min_id_length` when the payload's is above 0.
    static func minIDLength(_ payload: [String: JSONValue]) -> Double? {
        guard case .number(let n)? = payload["min_id_length"], n > 0 else { return nil }
        return n
    }

    /// Segment's `formatSessionId`: text of digits only is a number as it stands, anything else a time in epoch milliseconds.
    static func sessionID(_ value: JSONValue) -> Double? {
        if case .string(let s) = value, !s.isEmpty, s.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            return Double(s)
        }
        return value.epochMillis
    }

    static func hasUTMOrReferrer(_ payload: [String: JSONValue]) -> Bool {
        if case .object(let utm)? = payload["utm_properties"], !utm.isEmpty { return true }
        return JavaScript.isTruthy(payload["referrer"] ?? .null)
    }

    /// Segment's `convertUTMProperties`: each UTM value under `$set`, and under `$setOnce` as `initial_<key>`.
    static func utmProperties(_ value: JSONValue?) -> [String: JSONValue] {
        guard case .object(let utm)? = value else { return [:] }
        var set: [String: JSONValue] = [:]
        var setOnce: [String: JSONValue] = [:]
        for (key, value) in utm {
            set[key] = value
            setOnce["initial_\(key)"] = value
        }
        return ["$set": .object(set), "$setOnce": .object(setOnce)]
    }

    /// Segment's `convertReferrerProperty`.
    static func referrerProperties(_ value: JSONValue?) -> [String: JSONValue] {
        guard let value, JavaScript.isTruthy(value) else { return [:] }
        return ["$set": ["referrer": value], "$setOnce": ["initial_referrer": value]]
    }

    /// Segment's `mergeUserProperties`: later members win, `$set` and `$setOnce` merged member by member.
    static func mergeUserProperties(_ parts: [[String: JSONValue]]) -> [String: JSONValue] {
        parts.reduce(into: [:]) { merged, current in
            let previous = merged
            merged.merge(current) { _, new in new }
            for key in ["$set", "$setOnce"] where previous[key] != nil || current[key] != nil {
                var combined = previous[key]?.objectValue ?? [:]
                combined.merge(current[key]?.objectValue ?? [:]) { _, new in new }
                merged[key] = .object(combined)
            }
        }
    }

    /// What the user agent says, as Segment's `parseUserAgentProperties` gives it: `os_name` (or the browser's
    /// name), `os_version` (`userAgentData.platformVersion`, else the browser's major version),
    /// `device_manufacturer`, `device_model` (`userAgentData.model`, else the device's, else the system's name),
    /// `device_type`. Nothing without a user agent.
    static func userAgentProperties(_ payload: [String: JSONValue]) -> [String: JSONValue] {
        guard case .string(let agent)? = payload["userAgent"], !agent.isEmpty else { return [:] }
        let parsed = UserAgent.cached(agent)
        let data = payload["userAgentData"]?.objectValue ?? [:]
        var result: [String: JSONValue] = [:]
        result["os_name"] = (parsed.osName ?? parsed.browserName).map(JSONValue.string)
        result["os_version"] = data["platformVersion"] ?? parsed.browserMajor.map(JSONValue.string)
        result["device_manufacturer"] = parsed.deviceVendor.map(JSONValue.string)
        result["device_model"] = data["model"] ?? (parsed.deviceModel ?? parsed.osName).map(JSONValue.string)
        result["device_type"] = parsed.deviceType.map(JSONValue.string)
        return result
    }

    /// A value used as an object key in JavaScript: its `String(value)`.
    static func javaScriptKey(_ value: JSONValue?) -> String {
        switch value {
        case nil: "undefined"
        case .string(let s)?: s
        case .number(let n)?: JavaScript.numberToString(n)
        case .bool(let b)?: b ? "true" : "false"
        case .null?: "null"
        case .array?, .object?: String(decoding: JSONWriter.encode(value!), as: UTF8.self)
        }
    }

    static func encode(_ value: JSONValue) -> String {
        String(decoding: JSONWriter.encode(value), as: UTF8.self)
    }
}

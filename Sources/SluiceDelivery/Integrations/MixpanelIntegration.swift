import Foundation
import SluiceCore

/// Mixpanel (Actions), catalog id `615c7438d93d9b61b1e9e192`: every cloud action of Segment's `mixpanel`
/// destination, building the same requests.
///
/// Destination settings: `projectToken` (required), `apiSecret`, `apiRegion` (`US 🇺🇸`, the default, `EU 🇪🇺` or
/// `IN 🇮🇳`: `https://api.mixpanel.com`, `https://api-eu.mixpanel.com` or `https://api-in.mixpanel.com`; any other
/// value is the US, as in Segment's `getApiServerUrl`), `sourceName`, `strictMode` (`1`, the default, or `0`).
///
/// | action | request |
/// | --- | --- |
/// | `trackEvent` | `POST /import?strict=<strictMode>`, JSON `[{"event", "properties"}]`; with `enable_batching`, one request for up to `batch_size` events (default 1000, at most 2000) |
/// | `trackPurchase` | the same, the order's event followed by one `Product Purchased` event per product with `generatePurchaseEventPerProduct` |
/// | `identifyUser` | `POST /track` form `data={"event": "$identify", …}` when there is an anonymous id, then `POST /engage` form `data={"$token", "$distinct_id", "$ip", "$set"}` when there are traits |
/// | `groupIdentifyUser` | `POST /groups` form `data={"$token", "$group_key", "$group_id", "$set"}` |
/// | `alias` | `POST /track` form `data={"event": "$create_alias", …}` |
/// | `incrementProperties` | `POST /engage` form `data={"$token", "$distinct_id", "$ip", "$add"}` when there is something to increment |
///
/// `/import` is authenticated as Segment does with its project-token flag off: `Authorization: Basic
/// base64(<apiSecret>:)`, or the project token when there is no secret. The other endpoints carry the project
/// token in the data. What each event carries follows Segment's `getEventProperties`: `time` in epoch milliseconds
/// (now when absent or unreadable), `distinct_id` (`""` when absent, for events tied to no user), `$insert_id` (a
/// random id when absent), `$browser` and `$browser_version` from the user agent by Segment's `getBrowser` rules,
/// `mp_lib` `Segment Actions: <library>`, the UTM and `userAgentData` members, then the event's properties without
/// Mixpanel's reserved ones. Product events take the order's properties without the order's totals, `$insert_id`
/// `<n><insert_id>` and a time one millisecond before the previous event. Identify and group traits are renamed to
/// Mixpanel's reserved properties (`$email`, `$name` from `name` or `firstName lastName`, `$created`…).
///
/// A batch's answer is read as Segment's `handleMixPanelApiResponse` reads it: with `code` 200 or 400 every event
/// succeeds except those named by `failed_records` (by index), which are discarded with Mixpanel's message; any
/// other answer is classified by its status.
///
/// Where Sluice differs: the requests of `identifyUser` are sent one after another (Segment sends them at once);
/// an identify with neither an anonymous id nor traits, or an increment with nothing to add, makes no request and
/// is discarded (Segment succeeds without one); an empty `apiSecret` counts as absent; Segment's feature flags are
/// off (the project-token flag, and `mixpanel-multistatus`, which Sluice always applies to batches). As in Segment,
/// a `failed_records` index of `trackPurchase` counts the order's and products' events together, though it names a
/// payload. JSON members are in sorted order, not Segment's insertion order.
public struct MixpanelIntegration: ActionsIntegration {
    /// The catalog id of Mixpanel (Actions).
    public static let metadataID = "615c7438d93d9b61b1e9e192"

    public let runtime: ActionsRuntime

    /// Creates the integration with the actions' fields from the catalog entry.
    /// - Parameters:
    ///   - now: The clock, for an event without a readable time (Segment takes `Date.now()`).
    ///   - insertID: A new `$insert_id` for an event without one (Segment's `cheapGuid`).
    public init(
        metadata: DestinationMetadata?,
        now: @escaping @Sendable () -> Date = { Date() },
        insertID: @escaping @Sendable () -> String = { MixpanelIntegration.cheapGUID() }
    ) {
        let clock = EventClock(now: now, insertID: insertID)
        let importBatch = { (purchase: Bool) in
            ActionImplementation.Batch(
                defaultSize: 1000, maxSize: 2000,
                request: { payloads, settings throws(ActionFailure) in try Self.importRequest(payloads, settings, purchase: purchase, clock: clock) },
                results: Self.importResults)
        }
        runtime = ActionsRuntime(
            actions: [
                ActionImplementation(
                    slug: "trackEvent",
                    perform: { payload, settings throws(ActionFailure) in [try Self.importRequest([payload], settings, purchase: false, clock: clock)]
                    },
                    batch: importBatch(false)),
                ActionImplementation(
                    slug: "trackPurchase",
                    perform: { payload, settings throws(ActionFailure) in [try Self.importRequest([payload], settings, purchase: true, clock: clock)]
                    },
                    batch: importBatch(true)),
                ActionImplementation(slug: "identifyUser", perform: Self.identifyUser),
                ActionImplementation(slug: "groupIdentifyUser", perform: Self.groupIdentifyUser),
                ActionImplementation(slug: "alias", perform: Self.alias),
                ActionImplementation(slug: "incrementProperties", perform: Self.incrementProperties),
            ],
            metadata: metadata)
    }

    /// What an event takes when it has no time or insert id.
    struct EventClock: Sendable {
        let now: @Sendable () -> Date
        let insertID: @Sendable () -> String

        /// `Date.now()`.
        var millis: Double { (now().timeIntervalSince1970 * 1000).rounded(.down) }
    }

    // MARK: - Endpoints

    /// Segment's `getApiServerUrl`.
    static func server(_ settings: [String: JSONValue]) -> String {
        switch settings.text("apiRegion") {
        case "EU 🇪🇺": "https://api-eu.mixpanel.com"
        case "IN 🇮🇳": "https://api-in.mixpanel.com"
        default: "https://api.mixpanel.com"
        }
    }

    /// A form post of `data` (the JSON text of `value`), as the profile and track endpoints take it.
    static func dataForm(_ url: String, _ value: [String: JSONValue]) -> HTTPRequestSpec {
        .form(url, fields: [("data", String(decoding: JSONWriter.encode(.object(value)), as: UTF8.self))])
    }

    // MARK: - trackEvent, trackPurchase

    /// The `/import` request for the payloads' events.
    static func importRequest(
        _ payloads: [[String: JSONValue]], _ settings: [String: JSONValue], purchase: Bool, clock: EventClock
    ) throws(ActionFailure) -> HTTPRequestSpec {
        let token = try settings.requiredSetting("projectToken")
        let credential = settings.text("apiSecret") ?? token
        let events = payloads.flatMap { purchase ? purchaseEvents($0, settings, clock: clock) : [event($0, settings, clock: clock)] }
        let strict = settings.text("strictMode") ?? "1"
        return .json(
            "\(server(settings))/import?strict=\(HTTPRequestSpec.formEncode(strict))", body: .array(events),
            headers: [HTTPRequestSpec.basicAuthorization(user: credential, password: "")])
    }

    /// One `{"event", "properties"}`.
    static func event(_ payload: [String: JSONValue], _ settings: [String: JSONValue], clock: EventClock) -> JSONValue {
        ["event": payload["event"] ?? .null, "properties": .object(eventProperties(payload, settings, clock: clock))]
    }

    /// Mixpanel's reserved properties, which the event's own properties may not set.
    static let reservedProperties: Set<String> = ["time", "id", "$anon_id", "distinct_id", "$group_id", "$insert_id", "$user_id"]

    /// Segment's `getEventProperties`.
    static func eventProperties(_ payload: [String: JSONValue], _ settings: [String: JSONValue], clock: EventClock) -> [String: JSONValue] {
        var p: [String: JSONValue] = [:]
        p["time"] = .number(payload["time"].flatMap(\.epochMillis) ?? clock.millis)
        let utm = payload["utm_properties"]?.objectValue ?? [:]
        let agent = payload.text("userAgent")
        let agentData = payload["userAgentData"]?.objectValue ?? [:]
        let members: [(String, JSONValue?)] = [
            ("ip", payload["ip"]),
            ("id", payload["distinct_id"]),
            ("$anon_id", payload["anonymous_id"]),
            ("distinct_id", present(payload["distinct_id"]) ?? ""),
            ("$app_build_number", payload["app_build"]),
            ("$app_version_string", payload["app_version"]),
            ("$app_namespace", payload["app_namespace"]),
            ("$app_name", payload["app_name"]),
            ("$browser", agent.map { JSONValue.string(browser($0)) }),
            ("$browser_version", agent.flatMap(browserVersion).map(JSONValue.string)),
            ("$bluetooth_enabled", payload["bluetooth"]),
            ("$cellular_enabled", payload["cellular"]),
            ("$carrier", payload["carrier"]),
            ("$current_url", payload["url"]),
            ("$device", payload["device_name"]),
            ("$device_id", payload["anonymous_id"]),
            ("$device_type", payload["device_type"]),
            ("$device_name", payload["device_name"]),
            ("$group_id", payload["group_id"]),
            ("$identified_id", payload["user_id"]),
            ("$insert_id", present(payload["insert_id"]) ?? .string(clock.insertID())),
            ("$ios_ifa", payload["idfa"]),
            ("$lib_version", payload["library_version"]),
            ("$locale", payload["language"]),
            ("$manufacturer", payload["device_manufacturer"]),
            ("$model", payload["device_model"]),
            ("$os", payload["os_name"]),
            ("$os_version", payload["os_version"]),
            ("$referrer", payload["referrer"]),
            ("$screen_height", payload["screen_height"]),
            ("$screen_width", payload["screen_width"]),
            ("$screen_density", payload["screen_density"]),
            ("$source", JSONValue.string(payload["context"]?["integration"]?["name"] == "Iterable" ? "Iterable" : "segment")),
            ("$user_id", payload["user_id"]),
            ("$wifi_enabled", payload["wifi"]),
            ("mp_country_code", payload["country"]),
            ("mp_lib", payload["library_name"].map { JavaScript.isTruthy($0) ? JSONValue.string("Segment Actions: \(javaScriptString($0))") : $0 }),
            ("segment_source_name", settings["sourceName"]),
            ("utm_campaign", utm["utm_campaign"]),
            ("utm_content", utm["utm_content"]),
            ("utm_medium", utm["utm_medium"]),
            ("utm_source", utm["utm_source"]),
            ("utm_term", utm["utm_term"]),
            ("advertising_id", payload["advertising_id"]),
            ("ad_tracking_enabled", payload["ad_tracking_enabled"]),
            ("timezone", payload["timezone"]),
            ("app_platform", payload["app_platform"]),
            ("event_original_name", payload["name"]),
            ("$mobile", agentData["mobile"]),
            ("$platform", agentData["platform"]),
            ("$bitness", agentData["bitness"]),
            ("$platformVersion", agentData["platformVersion"]),
            ("$uaFullVersion", agentData["uaFullVersion"]),
            ("$wow64", agentData["wow64"]),
        ]
        for (key, value) in members { p[key] = value }
        for (key, value) in payload["event_properties"]?.objectValue ?? [:] where !reservedProperties.contains(key) { p[key] = value }
        return p
    }

    /// The order's members that product events leave out.
    static let orderKeys = [
        "affiliation", "subtotal", "total", "revenue", "shipping", "tax", "discount", "coupon", "currency", "order_number", "products",
    ]

    /// Segment's `getPurchaseEventsFromPayload`: the order's event, then with `generatePurchaseEventPerProduct` one
    /// `Product Purchased` event per product.
    static func purchaseEvents(_ payload: [String: JSONValue], _ settings: [String: JSONValue], clock: EventClock) -> [JSONValue] {
        let order = eventProperties(payload, settings, clock: clock)
        var events: [JSONValue] = [["event": payload["event"] ?? .null, "properties": .object(order)]]
        guard case .array(let products)? = payload["products"], payload["generatePurchaseEventPerProduct"]?.boolValue == true else {
            return events
        }
        var time = payload["time"].flatMap(\.epochMillis) ?? clock.millis
        let insertID = javaScriptString(present(payload["insert_id"]) ?? .string(clock.insertID()))
        var shared = order
        for key in orderKeys { shared[key] = nil }
        for (index, product) in products.enumerated() {
            var properties = shared
            time -= 1
            properties["$insert_id"] = .string("\(index)\(insertID)")
            properties["time"] = .number(time)
            for (key, value) in product.objectValue ?? [:] { properties[key] = value }
            events.append(["event": "Product Purchased", "properties": .object(properties)])
        }
        return events
    }

    /// Per-event outcomes of an `/import` answer, as Segment's `handleMixPanelApiResponse` gives them: `nil` (the
    /// status decides) unless the answer's `code` is 200 or 400.
    static func importResults(_ response: HTTPResponseSpec, _ count: Int) -> [DeliveryOutcome]? {
        guard let answer = try? JSONValue.parse(response.bodyPrefix), case .number(let code)? = answer["code"], code == 200 || code == 400 else {
            return nil
        }
        var outcomes = Array(repeating: DeliveryOutcome.success(status: 200), count: count)
        for record in answer["failed_records"]?.arrayValue ?? [] {
            guard case .number(let index)? = record["index"], index >= 0, index < Double(count), index == index.rounded() else { continue }
            let message = record["message"]?.stringValue ?? "failed record"
            let field = (record["field"]?.stringValue).map { " (\($0))" } ?? ""
            outcomes[Int(index)] = .discarded(reason: "HTTP 400: \(message)\(field)")
        }
        return outcomes
    }

    // MARK: - identifyUser

    static func identifyUser(_ payload: [String: JSONValue], _ settings: [String: JSONValue]) throws(ActionFailure) -> [HTTPRequestSpec] {
        let token = try settings.requiredSetting("projectToken")
        let server = server(settings)
        var requests: [HTTPRequestSpec] = []
        if let anonymousID = payload["anonymous_id"], JavaScript.isTruthy(anonymousID) {
            var properties: [String: JSONValue] = ["$anon_id": anonymousID, "token": .string(token)]
            properties["$identified_id"] = payload["user_id"]
            properties["segment_source_name"] = settings["sourceName"]
            requests.append(dataForm("\(server)/track", ["event": "$identify", "properties": .object(properties)]))
        }
        if case .object(let traits)? = payload["traits"], !traits.isEmpty {
            var set = traits
            for key in ["created", "createdAt", "created_at", "email", "firstName", "lastName", "name", "username", "phone"] { set[key] = nil }
            let renamed: [(String, JSONValue?)] = [
                ("$created", present(traits["created"]) ?? present(traits["createdAt"]) ?? traits["created_at"]),
                ("$email", traits["email"]),
                ("$first_name", traits["firstName"]),
                ("$last_name", traits["lastName"]),
                ("$name", concatenatedName(traits)),
                ("$username", traits["username"]),
                ("$phone", traits["phone"]),
            ]
            for (key, value) in renamed { set[key] = value }
            var data: [String: JSONValue] = ["$token": .string(token), "$set": .object(set)]
            data["$distinct_id"] = present(payload["user_id"]) ?? payload["anonymous_id"]
            data["$ip"] = payload["ip"]
            requests.append(dataForm("\(server)/engage", data))
        }
        return requests
    }

    /// Segment's `getConcatenatedName`: `name`, else `firstName lastName` when both are truthy.
    static func concatenatedName(_ traits: [String: JSONValue]) -> JSONValue? {
        if let name = present(traits["name"]) { return name }
        guard let first = traits["firstName"], let last = traits["lastName"], JavaScript.isTruthy(first), JavaScript.isTruthy(last) else {
            return nil
        }
        return .string("\(javaScriptString(first)) \(javaScriptString(last))")
    }

    // MARK: - groupIdentifyUser

    static func groupIdentifyUser(_ payload: [String: JSONValue], _ settings: [String: JSONValue]) throws(ActionFailure) -> [HTTPRequestSpec] {
        let token = try settings.requiredSetting("projectToken")
        let groupKey = payload.text("group_key") ?? "$group_id"
        guard case .object(let traits)? = payload["traits"] else {
            throw ActionFailure(outcome: .discarded(reason: "\"traits\" is a required field"))
        }
        var set = traits
        for key in ["created", "createdAt", "created_at", "name"] { set[key] = nil }
        set["$name"] = traits["name"]
        set["$created"] = present(traits["created"]) ?? present(traits["createdAt"]) ?? traits["created_at"]
        var data: [String: JSONValue] = ["$token": .string(token), "$group_key": .string(groupKey), "$set": .object(set)]
        data["$group_id"] = traits[groupKey].flatMap { JavaScript.isTruthy($0) ? $0 : nil } ?? payload["group_id"]
        return [dataForm("\(server(settings))/groups", data)]
    }

    // MARK: - alias

    static func alias(_ payload: [String: JSONValue], _ settings: [String: JSONValue]) throws(ActionFailure) -> [HTTPRequestSpec] {
        let token = try settings.requiredSetting("projectToken")
        var properties: [String: JSONValue] = ["token": .string(token)]
        properties["distinct_id"] = payload["distinct_id"]
        properties["alias"] = payload["alias"]
        properties["segment_source_name"] = settings["sourceName"]
        return [dataForm("\(server(settings))/track", ["event": "$create_alias", "properties": .object(properties)])]
    }

    // MARK: - incrementProperties

    static func incrementProperties(_ payload: [String: JSONValue], _ settings: [String: JSONValue]) throws(ActionFailure) -> [HTTPRequestSpec] {
        let token = try settings.requiredSetting("projectToken")
        guard case .object(let increment)? = payload["increment"], !increment.isEmpty else { return [] }
        guard increment.count <= 20 else {
            throw ActionFailure.invalidPayload("Exceeded maximum of 20 properties for increment call")
        }
        var add: [String: JSONValue] = [:]
        for (key, value) in increment {
            let number: Double
            switch value {
            case .number(let n): number = n
            case .string(let s): number = JavaScript.stringToNumber(s)
            default: continue
            }
            guard !number.isNaN else { throw ActionFailure(outcome: .discarded(reason: "The key \"\(key)\" was not numeric")) }
            add[key] = .number(number)
        }
        var data: [String: JSONValue] = ["$token": .string(token), "$add": .object(add)]
        data["$distinct_id"] = present(payload["user_id"]) ?? payload["anonymous_id"]
        data["$ip"] = payload["ip"]
        return [dataForm("\(server(settings))/engage", data)]
    }

    // MARK: - Shared rules

    /// A value for JavaScript's `??`: `nil` for an absent or `null` value.
    static func present(_ value: JSONValue?) -> JSONValue? {
        value == .null ? nil : value
    }

    /// `String(value)` for a value in a template string.
    static func javaScriptString(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): s
        case .number(let n): JavaScript.numberToString(n)
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        case .array, .object: String(decoding: JSONWriter.encode(value), as: UTF8.self)
        }
    }

    /// Segment's `cheapGuid`: 16 random characters of base 36.
    public static func cheapGUID() -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        return String((0..<16).map { _ in alphabet.randomElement()! })
    }

    /// Segment's `getBrowser`: the browser's name from the user agent by the first rule that holds, `""` when none.
    static func browser(_ agent: String) -> String {
        if agent.contains(" OPR/") { return agent.contains("Mini") ? "Opera Mini" : "Opera" }
        if agent.firstMatch(of: #/(?i)(BlackBerry|PlayBook|BB10)/#) != nil { return "BlackBerry" }
        let rules: [([String], String)] = [
            (["IEMobile", "WPDesktop"], "Internet Explorer Mobile"),
            (["SamsungBrowser/"], "Samsung Internet"),
            (["Edge", "Edg/"], "Microsoft Edge"),
            (["FBIOS"], "Facebook Mobile"),
            (["Chrome"], "Chrome"),
            (["CriOS"], "Chrome iOS"),
            (["UCWEB", "UCBrowser"], "UC Browser"),
            (["FxiOS"], "Firefox iOS"),
        ]
        for (needles, name) in rules where needles.contains(where: { agent.contains($0) }) { return name }
        if agent.contains("Safari") { return agent.contains("iPhone") ? "Mobile Safari" : "Safari" }
        let later: [([String], String)] = [
            (["Android"], "Android Mobile"), (["Konqueror"], "Konqueror"), (["Firefox"], "Firefox"),
            (["MSIE", "Trident/"], "Internet Explorer"), (["Gecko"], "Mozilla"),
        ]
        for (needles, name) in later where needles.contains(where: { agent.contains($0) }) { return name }
        return ""
    }

    /// What precedes the version in each browser's user agent, as in Segment's `getBrowserVersion`.
    static let versionPrefixes: [String: String] = [
        "Internet Explorer Mobile": "rv:", "Microsoft Edge": "Edge?/", "Chrome": "Chrome/", "Chrome iOS": "CriOS/",
        "UC Browser": "(?:UCBrowser|UCWEB)/", "Safari": "Version/", "Mobile Safari": "Version/", "Opera": "(?:Opera|OPR)/",
        "Firefox": "Firefox/", "Firefox iOS": "FxiOS/", "Konqueror": "Konqueror:", "BlackBerry": "BlackBerry ",
        "Android Mobile": "android\\s", "Samsung Internet": "SamsungBrowser/", "Internet Explorer": "(?:rv:|MSIE )", "Mozilla": "rv:",
    ]

    /// Segment's `getBrowserVersion`: the dotted version after the browser's marker, `nil` when there is none.
    static func browserVersion(_ agent: String) -> String? {
        guard let prefix = versionPrefixes[browser(agent)], let regex = try? Regex(prefix + "(\\d+(?:\\.\\d+)+)"),
            let match = agent.firstMatch(of: regex), let version = match.output[1].substring
        else { return nil }
        return String(version)
    }
}

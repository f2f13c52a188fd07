import Foundation
import SluiceCore

/// Braze Cloud Mode (Actions), catalog id `60f9d0d048950c356be2e4da`: the user and event actions of Segment's
/// `braze` destination, building the same requests.
///
/// Destination settings: `api_key` (required), `app_id`, `endpoint` (the instance's REST endpoint, e.g.
/// `https://rest.iad-01.braze.com`, the default). Every request is a JSON `POST` to `<endpoint><path>` with
/// `Authorization: Bearer <api_key>`.
///
/// | action | request |
/// | --- | --- |
/// | `updateUserProfile`, `updateUserProfile2` | `/users/track`, `{"attributes": [...]}`: one object per event |
/// | `trackEvent`, `trackEvent2` | `/users/track`, `{"events": [...]}`: one object per event |
/// | `trackPurchase`, `trackPurchase2` | `/users/track`, `{"purchases": [...]}`: one object per product |
/// | `identifyUser` | `/users/identify`, `{"aliases_to_identify": [{"external_id", "user_alias"}], "merge_behavior"}` |
/// | `createAlias`, `createAlias2` | `/users/alias/new`, `{"user_aliases": [{"external_id", "alias_name", "alias_label"}]}` |
///
/// What each object carries follows Segment's code: the identifiers `braze_id`, `external_id`, `email` and
/// `user_alias` (only with both `alias_name` and `alias_label`), one of which is required (else the event is
/// discarded with `One of "external_id" or "user_alias" or "braze_id" or "email" is required.`); `app_id` from the
/// settings on events and purchases; times as ISO 8601 in UTC with milliseconds (`dob` as `YYYY-MM-DD`; an
/// unreadable time left out); `gender` as Braze's `M`, `F`, `O`, `N` or `P` when it names one; a profile's
/// `custom_attributes` first, without the keys Segment reserves, then the standard attributes, which win even when
/// absent; `current_location` only when it has members; a purchase's `currency` `USD` when absent and its
/// `properties` the product's other members and then the event's `properties` but `products`; a purchase without
/// products sends nothing and is discarded with Segment's batch message (`This event was not sent to Braze because it
/// did not contain any products.`; Segment's single form counts it as done). `X-Braze-Batch: true` goes with a
/// `/users/track` request of more than one object.
///
/// The `…2` actions are their first versions with Segment's sync mode: Sluice's subscriptions cannot set it
/// (`__segment_internal_sync_mode` is no catalog field), so each takes the action's default, as Segment's editor
/// does: `add` for `trackEvent2` and `trackPurchase2` (`_update_existing_only` false), `update` for
/// `updateUserProfile2` (`_update_existing_only` true), `add` for `createAlias2`.
///
/// With `enable_batching` (the catalog default, up to 75 a request) `updateUserProfile`, `trackEvent` and
/// `trackPurchase` (and their `…2`) send one `/users/track` request for the batch, and read Braze's answer as Segment does: in a 2xx answer each
/// `errors[].index` discards that event with the error's `type` (the first for an event wins), the others succeed;
/// a non-2xx answer is every event's, a 400 discarding them with Braze's `message`.
///
/// Where Sluice differs: in a batch, an event without an identifier is sent in its place (so that Braze's indexes
/// name the events) and discarded by Braze's error for it, where Segment leaves it out and discards it itself; a
/// batch of only such events is discarded without a request, as Segment's. `trackPurchase` batches as Segment's
/// `sendBatchedTrackPurchase`: purchases counted against the 75, each purchase's errors back to its event
/// (``trackPurchases(_:_:_:)``). Product members are
/// not checked against Segment's product schema (`product_id`, `price` required), which the catalog does not carry;
/// nor can a subscription map `subscription_groups`, a field of Segment's `updateUserProfile` that the catalog lacks.
/// A batch answer is read from the start of its body the sender keeps: errors past it are not seen.
/// Unimplemented (discarded with `unsupported action <slug>`): `identifyUser2` (its 2xx answers carry errors the
/// runtime does not read outside a batch), `triggerCampaign`, `triggerCanvas`, `upsertCatalogItem`, `ecommerce`,
/// `ecommerceSingleProduct`, and the web-only `debouncePlugin`. JSON members are in sorted order.
public struct BrazeIntegration: ActionsIntegration {
    /// The catalog id of Braze Cloud Mode (Actions).
    public static let metadataID = "60f9d0d048950c356be2e4da"

    public let runtime: ActionsRuntime

    /// The largest batch Braze's `/users/track` takes, per array.
    static let maxBatchSize = 75

    /// Creates the integration with the actions' fields from the catalog entry.
    public init(metadata: DestinationMetadata?) {
        var actions: [ActionImplementation] = []
        for (slug, updateExistingOnly) in [("updateUserProfile", nil), ("updateUserProfile2", true)] as [(String, Bool?)] {
            actions.append(Self.trackAction(slug, array: "attributes") { payload, settings in Self.attributes(payload, updateExistingOnly) })
        }
        for (slug, updateExistingOnly) in [("trackEvent", nil), ("trackEvent2", false)] as [(String, Bool?)] {
            actions.append(Self.trackAction(slug, array: "events") { payload, settings in Self.event(payload, settings, updateExistingOnly) })
        }
        for (slug, updateExistingOnly) in [("trackPurchase", nil), ("trackPurchase2", false)] as [(String, Bool?)] {
            actions.append(
                ActionImplementation(
                    slug: slug,
                    perform: { payload, settings throws(ActionFailure) in try Self.trackPurchase(payload, settings, updateExistingOnly) },
                    batch: ActionImplementation.Batch(
                        defaultSize: Self.maxBatchSize, maxSize: Self.maxBatchSize,
                        plan: { payloads, settings throws(ActionFailure) in
                            try Self.trackPurchases(payloads, settings, updateExistingOnly)
                        },
                        results: Self.trackResults)))
        }
        actions.append(ActionImplementation(slug: "identifyUser", perform: Self.identifyUser))
        for slug in ["createAlias", "createAlias2"] { actions.append(ActionImplementation(slug: slug, perform: Self.createAlias)) }
        runtime = ActionsRuntime(actions: actions, metadata: metadata)
    }

    // MARK: - Requests

    /// A JSON `POST` to the instance's endpoint with the API key.
    static func request(
        _ path: String, _ settings: [String: JSONValue], body: JSONValue, batch: Bool = false
    ) throws(ActionFailure) -> HTTPRequestSpec {
        let apiKey = try settings.requiredSetting("api_key")
        let endpoint = try settings.requiredSetting("endpoint")
        var headers: [(name: String, value: String)] = [("Authorization", "Bearer \(apiKey)")]
        if batch { headers.append(("X-Braze-Batch", "true")) }
        return .json(endpoint + path, body: body, headers: headers)
    }

    static let missingIdentifier = "One of \"external_id\" or \"user_alias\" or \"braze_id\" or \"email\" is required."

    /// Whether the payload names a user: a truthy `braze_id`, `external_id` or `email`, or a full user alias.
    static func hasIdentifier(_ payload: [String: JSONValue]) -> Bool {
        userAlias(payload["user_alias"]) != nil
            || ["braze_id", "external_id", "email"].contains { JavaScript.isTruthy(payload[$0] ?? .null) }
    }

    /// An action sending one `/users/track` object per event, with its batch form.
    static func trackAction(
        _ slug: String, array: String, object: @escaping @Sendable ([String: JSONValue], [String: JSONValue]) -> [String: JSONValue]
    ) -> ActionImplementation {
        ActionImplementation(
            slug: slug,
            perform: { payload, settings throws(ActionFailure) in
                guard hasIdentifier(payload) else { throw ActionFailure(outcome: .discarded(reason: missingIdentifier)) }
                return [try request("/users/track", settings, body: [array: [.object(object(payload, settings))]])]
            },
            batch: ActionImplementation.Batch(
                defaultSize: maxBatchSize, maxSize: maxBatchSize,
                request: { payloads, settings throws(ActionFailure) in
                    guard payloads.contains(where: hasIdentifier) else { throw ActionFailure(outcome: .discarded(reason: missingIdentifier)) }
                    let objects = payloads.map { JSONValue.object(object($0, settings)) }
                    return try request("/users/track", settings, body: [array: .array(objects)], batch: objects.count > 1)
                },
                results: trackResults))
    }

    /// Segment's `handleBrazeAPIResponse`: per-event errors of a 2xx answer, Braze's message for a 400.
    static func trackResults(_ response: HTTPResponseSpec, _ count: Int) -> [DeliveryOutcome]? {
        let answer = try? JSONValue.parse(response.bodyPrefix)
        guard (200..<300).contains(response.status) else {
            guard case .discarded = response.outcome, case .string(let message)? = answer?["message"] else { return nil }
            return Array(repeating: .discarded(reason: message), count: count)
        }
        var outcomes = Array(repeating: DeliveryOutcome.success(status: response.status), count: count)
        var failed = Set<Int>()
        for error in answer?["errors"]?.arrayValue ?? [] {
            guard case .number(let n)? = error["index"], let index = Int(exactly: n), outcomes.indices.contains(index), !failed.contains(index) else {
                continue
            }
            failed.insert(index)
            outcomes[index] = .discarded(reason: error["type"].map(javaScriptText) ?? "Braze refused the object")
        }
        return outcomes
    }

    // MARK: - updateUserProfile

    /// The keys Segment leaves out of `custom_attributes`: trackPurchase's field keys (what Segment's code takes)
    /// and the traits it maps itself.
    static let reservedAttributeKeys: Set<String> = [
        "external_id", "user_alias", "email", "braze_id", "time", "products", "properties", "_update_existing_only", "enable_batching",
        "batch_size", "firstName", "lastName", "avatar",
    ]

    /// The standard attributes copied as they are.
    static let plainAttributes = [
        "braze_id", "external_id", "country", "email", "email_subscribe", "email_open_tracking_disabled", "email_click_tracking_disabled",
        "facebook", "first_name", "home_city", "image_url", "language", "last_name", "phone", "push_subscribe", "push_tokens", "time_zone",
        "twitter", "_update_existing_only",
    ]
    static let timeAttributes = ["date_of_first_session", "date_of_last_session", "marked_email_as_spam_at"]

    static func attributes(_ payload: [String: JSONValue], _ updateExistingOnly: Bool?) -> [String: JSONValue] {
        var object = (payload["custom_attributes"]?.objectValue ?? [:]).filter { !reservedAttributeKeys.contains($0.key) }
        for key in plainAttributes + timeAttributes + ["user_alias", "current_location", "dob", "gender"] { object[key] = nil }
        for key in plainAttributes { object[key] = payload[key] }
        for key in timeAttributes { object[key] = payload[key].flatMap(isoTime) }
        object["user_alias"] = userAlias(payload["user_alias"])
        if case .object(let location)? = payload["current_location"], !location.isEmpty { object["current_location"] = .object(location) }
        object["dob"] = payload["dob"].flatMap { time($0, dateOnly: true) }
        object["gender"] = payload["gender"].map(brazeGender)
        if case .array(let groups)? = payload["subscription_groups"], !groups.isEmpty { object["subscription_groups"] = .array(groups) }
        if let updateExistingOnly { object["_update_existing_only"] = .bool(updateExistingOnly) }
        return object
    }

    /// Segment's `toBrazeGender`: Braze's letter for the common words (any case), else the value as it is.
    static func brazeGender(_ value: JSONValue) -> JSONValue {
        guard case .string(let text) = value, !text.isEmpty else { return value }
        let genders: [(String, [String])] = [
            ("M", ["man", "male", "m"]), ("F", ["woman", "female", "w", "f"]), ("O", ["other", "o"]), ("N", ["not applicable", "n"]),
            ("P", ["prefer not to say", "p"]),
        ]
        let lowered = text.lowercased()
        return genders.first { $0.1.contains(lowered) }.map { JSONValue.string($0.0) } ?? value
    }

    // MARK: - trackEvent

    static func event(_ payload: [String: JSONValue], _ settings: [String: JSONValue], _ updateExistingOnly: Bool?) -> [String: JSONValue] {
        var object = identifiers(payload, settings, updateExistingOnly)
        object["name"] = payload["name"]
        object["properties"] = payload["properties"]
        return object
    }

    /// The members every event and purchase object carries.
    static func identifiers(_ payload: [String: JSONValue], _ settings: [String: JSONValue], _ updateExistingOnly: Bool?) -> [String: JSONValue] {
        var object: [String: JSONValue] = [:]
        for key in ["braze_id", "external_id", "email", "_update_existing_only"] { object[key] = payload[key] }
        object["user_alias"] = userAlias(payload["user_alias"])
        object["app_id"] = settings.text("app_id").map(JSONValue.string)
        object["time"] = payload["time"].flatMap(isoTime)
        if let updateExistingOnly { object["_update_existing_only"] = .bool(updateExistingOnly) }
        return object
    }

    // MARK: - trackPurchase

    static let noProducts = "This event was not sent to Braze because it did not contain any products."
    static let productKeys: Set<String> = ["product_id", "currency", "price", "quantity"]

    static func trackPurchase(
        _ payload: [String: JSONValue], _ settings: [String: JSONValue], _ updateExistingOnly: Bool?
    ) throws(ActionFailure)
        -> [HTTPRequestSpec]
    {
        guard hasIdentifier(payload) else { throw ActionFailure(outcome: .discarded(reason: missingIdentifier)) }
        let purchases = Self.purchases(payload, settings, updateExistingOnly)
        guard !purchases.isEmpty else { throw ActionFailure(outcome: .discarded(reason: noProducts)) }
        return [try request("/users/track", settings, body: ["purchases": .array(purchases)], batch: purchases.count > 1)]
    }

    /// Segment's `sendBatchedTrackPurchase`: one `/users/track` request with every payload's purchases, and each
    /// purchase's payload so that Braze's per-purchase errors come back to their events. Left out, as Segment leaves
    /// them out: a payload of more than 75 products (discarded), one whose products would take the request past 75
    /// purchases (retried in another batch; its products count towards the 75 all the same, as in Segment), one
    /// without an identifier or without products (discarded).
    static func trackPurchases(
        _ payloads: [[String: JSONValue]], _ settings: [String: JSONValue], _ updateExistingOnly: Bool?
    )
        throws(ActionFailure) -> ActionImplementation.Batch.Request
    {
        var purchases: [JSONValue] = []
        var items: [Int] = []
        var leftOut: [Int: DeliveryOutcome] = [:]
        var objectCount = 0
        for (index, payload) in payloads.enumerated() {
            let count = payload["products"]?.arrayValue?.count ?? 0
            if count > maxBatchSize {
                leftOut[index] = .discarded(
                    reason: "Max batch size exceeded. This payload contains \(count) products, which is more than Braze's maximum batch "
                        + "size of \(maxBatchSize) objects per batch.")
                continue
            }
            objectCount += count
            if objectCount > maxBatchSize {
                leftOut[index] = .retryable(
                    reason: "Max batch size exceeded. This event was included in a batch which then exceeded Braze's maximum batch size "
                        + "of \(maxBatchSize) objects per batch. This payload will be retried in another batch.")
                continue
            }
            guard hasIdentifier(payload) else {
                leftOut[index] = .discarded(reason: missingIdentifier)
                continue
            }
            let made = Self.purchases(payload, settings, updateExistingOnly)
            guard !made.isEmpty else {
                leftOut[index] = .discarded(reason: noProducts)
                continue
            }
            purchases += made
            items += Array(repeating: index, count: made.count)
        }
        guard !purchases.isEmpty else { return ActionImplementation.Batch.Request(request: nil, items: [], leftOut: leftOut) }
        let request = try request("/users/track", settings, body: ["purchases": .array(purchases)], batch: purchases.count > 1)
        return ActionImplementation.Batch.Request(request: request, items: items, leftOut: leftOut)
    }

    /// A payload's purchases: one per product, with the event's properties over the product's own.
    static func purchases(_ payload: [String: JSONValue], _ settings: [String: JSONValue], _ updateExistingOnly: Bool?) -> [JSONValue] {
        let products = payload["products"]?.arrayValue ?? []
        let base = identifiers(payload, settings, updateExistingOnly)
        var eventProperties = payload["properties"]?.objectValue ?? [:]
        eventProperties["products"] = nil
        return products.map { product in
            let members = product.objectValue ?? [:]
            var purchase = base
            purchase["product_id"] = members["product_id"]
            purchase["currency"] = members["currency"].flatMap { $0 == .null ? nil : $0 } ?? "USD"
            purchase["price"] = members["price"]
            purchase["quantity"] = members["quantity"]
            var properties = members.filter { !productKeys.contains($0.key) }
            properties.merge(eventProperties) { _, new in new }
            purchase["properties"] = .object(properties)
            return .object(purchase)
        }
    }

    // MARK: - identifyUser, createAlias

    static func identifyUser(_ payload: [String: JSONValue], _ settings: [String: JSONValue]) throws(ActionFailure) -> [HTTPRequestSpec] {
        var alias: [String: JSONValue] = [:]
        alias["external_id"] = payload["external_id"]
        alias["user_alias"] = payload["user_alias"]
        var body: [String: JSONValue] = ["aliases_to_identify": [.object(alias)]]
        body["merge_behavior"] = payload["merge_behavior"]
        return [try request("/users/identify", settings, body: .object(body))]
    }

    static func createAlias(_ payload: [String: JSONValue], _ settings: [String: JSONValue]) throws(ActionFailure) -> [HTTPRequestSpec] {
        var alias: [String: JSONValue] = [:]
        for key in ["external_id", "alias_name", "alias_label"] { alias[key] = payload[key].flatMap { $0 == .null ? nil : $0 } }
        return [try request("/users/alias/new", settings, body: ["user_aliases": [.object(alias)]])]
    }

    // MARK: - Values

    /// Segment's `getUserAlias`: `{"alias_name", "alias_label"}` when both are truthy.
    static func userAlias(_ value: JSONValue?) -> JSONValue? {
        guard case .object(let alias)? = value, let name = alias["alias_name"], let label = alias["alias_label"],
            JavaScript.isTruthy(name), JavaScript.isTruthy(label)
        else { return nil }
        return ["alias_name": name, "alias_label": label]
    }

    static func isoTime(_ value: JSONValue) -> JSONValue? { time(value, dateOnly: false) }

    /// `dayjs(value).toISOString()` (or `.format('YYYY-MM-DD')`): a number is epoch milliseconds, text an ISO 8601
    /// date or date-time (UTC when it has no zone); `null` stays `null`; an unreadable time is left out.
    static func time(_ value: JSONValue, dateOnly: Bool) -> JSONValue? {
        let date: Date?
        switch value {
        case .null: return .null
        case .number(let millis): date = millis.isFinite ? Date(timeIntervalSince1970: millis / 1000) : nil
        case .string(let text): date = Timestamps.parseAssumingUTC(text)
        default: date = nil
        }
        guard let date else { return nil }
        // Whole milliseconds, as a JavaScript Date holds them (formatting the Date as it is may show one fewer).
        let millis = (date.timeIntervalSince1970 * 1000).rounded()
        let seconds = (millis / 1000).rounded(.down)
        let whole = Timestamps.format(Date(timeIntervalSince1970: seconds)).dropLast(4)
        let formatted = String(whole) + String(format: "%03d", Int(millis - seconds * 1000)) + "Z"
        return .string(dateOnly ? String(formatted.prefix(10)) : formatted)
    }

    static func javaScriptText(_ value: JSONValue) -> String {
        if case .string(let text) = value { return text }
        return String(decoding: JSONWriter.encode(value), as: UTF8.self)
    }
}

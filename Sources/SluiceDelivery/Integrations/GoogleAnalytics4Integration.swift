import Foundation
import SluiceCore

/// Google Analytics 4 Cloud, catalog id `60ad61f9ff47a16b8fb7b5d9`: every action of Segment's
/// `google-analytics-4` destination, each sending one Measurement Protocol event as Segment builds it.
///
/// Destination settings: `apiSecret` (required), `measurementId` (web streams), `firebaseAppId` (app streams).
///
/// Every action makes one `POST https://www.google-analytics.com/mp/collect?api_secret=…&measurement_id=…` (with
/// `data_stream_type` `Web`, the default) or `…?api_secret=…&firebase_app_id=…` (with `Mobile App`); the values are
/// put in the query as they are, not encoded, as Segment does so that a Firebase App ID keeps its colons. The JSON body:
/// `client_id` (web; the `clientId` field of `pageView` and `customEvent`, `client_id` of the others) or
/// `app_instance_id` (app), `user_id`, `events` (one `{"name", "params"}`), `user_properties` (each as
/// `{"value": …}`, when the field is set), `timestamp_micros` (a number as it stands, else the ISO 8601 time in
/// microseconds; `null` when unreadable, as `Date.parse` gives NaN) and `consent` (`ad_user_data`,
/// `ad_personalization`, when either is set). The event's `params` are the action's fields below, `items` (the
/// action's items as mapped, `[]` when none), `engagement_time_msec`, and then the `params` field's members, which
/// win.
///
/// | action | event name | params from fields |
/// | --- | --- | --- |
/// | `addPaymentInfo` | `add_payment_info` | currency, value, coupon, payment_type, items |
/// | `addToCart`, `addToWishlist`, `removeFromCart`, `viewCart`, `viewItem` | `add_to_cart`, `add_to_wishlist`, `remove_from_cart`, `view_cart`, `view_item` | currency, value, items |
/// | `beginCheckout` | `begin_checkout` | coupon, currency, value, items |
/// | `customEvent` | the `name` field, trimmed, white space as `_`, lower case with `lowercase` | none |
/// | `generateLead` | `generate_lead` | currency, value |
/// | `login`, `signUp` | `login`, `sign_up` | method |
/// | `pageView` | `page_view` | page_location, page_referrer, page_title |
/// | `purchase`, `refund` | `purchase`, `refund` | affiliation, coupon, currency, shipping, tax, transaction_id, value, items |
/// | `search` | `search` | search_term |
/// | `selectItem`, `viewItemList` | `select_item`, `view_item_list` | item_list_id, item_list_name, items |
/// | `selectPromotion`, `viewPromotion` | `select_promotion`, `view_promotion` | creative_name, creative_slot, location_id, promotion_id, promotion_name, items |
///
/// Segment's checks discard the event with its message, in its order: a web stream without `measurementId`
/// (`Measurement ID is required for web streams`) or client id (`Client ID is required for web streams`), an app
/// stream without `firebaseAppId` or `app_instance_id`; `addPaymentInfo` with an empty items list;
/// a currency that is not an ISO 4217 code (`XYZ is not a valid currency code.`, any case accepted), at the event
/// or on an item; for `addPaymentInfo`, `addToWishlist`, `generateLead`, `refund`, `removeFromCart` and `viewCart` a
/// value without a currency (`Currency is required if value is set.`), and but for `generateLead` no currency on the
/// event nor on the first item; an item with neither `item_id` nor `item_name`; a `params` member that is `null`, an
/// array (but `items`) or an object; a `user_properties` member that is an array or an object.
///
/// Where Sluice differs: the catalog's fields (the same as Segment's for every action) carry no item schema, so item
/// members are sent as mapped, not coerced or checked by type as Segment's runtime does (`price` a number, …); a
/// missing `measurementId` or `firebaseAppId` is reported as invalid settings with Segment's message (Segment throws it
/// as a payload error), and a missing `apiSecret` too (Segment would send `api_secret=undefined`); when several
/// `params` or `user_properties` members are wrong, the first in sorted order is named, not the first in the event;
/// JSON members are in sorted order, not Segment's insertion order.
public struct GoogleAnalytics4Integration: ActionsIntegration {
    /// The catalog id of Google Analytics 4 Cloud.
    public static let metadataID = "60ad61f9ff47a16b8fb7b5d9"

    public let runtime: ActionsRuntime

    /// Creates the integration with the actions' fields from the catalog entry.
    public init(metadata: DestinationMetadata?) {
        runtime = ActionsRuntime(
            actions: Self.events.map { event in
                ActionImplementation(slug: event.slug) { payload, settings throws(ActionFailure) in [try Self.request(event, payload, settings)] }
            },
            metadata: metadata)
    }

    // MARK: - The actions

    /// How an action checks the event's currency, in Segment's code.
    enum CurrencyRule {
        /// No event-level currency.
        case none
        /// The currency, when there is one, must be an ISO 4217 code.
        case verify
        /// As `verify`, and a value needs a currency.
        case valueNeedsCurrency
        /// As `valueNeedsCurrency`, and the event or its first item must have a currency (`strict`: the item's
        /// currency must be absent to fail, as `addPaymentInfo` tests; otherwise any falsy one fails).
        case eventOrFirstItem(strict: Bool)
    }

    /// One action: its slug, the GA4 event name (`nil`: the `name` field, normalised), the fields copied into
    /// `params`, and its checks.
    struct Event: Sendable {
        var slug: String
        var name: String?
        var params: [String]
        var currency: CurrencyRule = .none
        var hasItems: Bool { params.contains("items") }
        var requiresSomeItem = false
        var missingItemMessage = "One of product name or product id is required for product or impression data."
        var clientIDKey = "client_id"
    }

    static let cart = ["currency", "value", "items"]
    static let order = ["affiliation", "coupon", "currency", "shipping", "tax", "transaction_id", "value", "items"]
    static let promotion = ["creative_name", "creative_slot", "location_id", "promotion_id", "promotion_name", "items"]
    static let list = ["item_list_id", "item_list_name", "items"]

    /// Every action of the destination.
    static let events: [Event] = [
        Event(
            slug: "addPaymentInfo", name: "add_payment_info", params: ["currency", "value", "coupon", "payment_type", "items"],
            currency: .eventOrFirstItem(strict: true), requiresSomeItem: true),
        Event(slug: "addToCart", name: "add_to_cart", params: cart, currency: .verify),
        Event(slug: "addToWishlist", name: "add_to_wishlist", params: cart, currency: .eventOrFirstItem(strict: false)),
        Event(slug: "beginCheckout", name: "begin_checkout", params: ["coupon", "currency", "value", "items"], currency: .verify),
        Event(slug: "customEvent", name: nil, params: [], clientIDKey: "clientId"),
        Event(slug: "generateLead", name: "generate_lead", params: ["currency", "value"], currency: .valueNeedsCurrency),
        Event(slug: "login", name: "login", params: ["method"]),
        Event(slug: "pageView", name: "page_view", params: ["page_location", "page_referrer", "page_title"], clientIDKey: "clientId"),
        Event(slug: "purchase", name: "purchase", params: order, currency: .verify),
        Event(slug: "refund", name: "refund", params: order, currency: .eventOrFirstItem(strict: false)),
        Event(slug: "removeFromCart", name: "remove_from_cart", params: cart, currency: .eventOrFirstItem(strict: false)),
        Event(slug: "search", name: "search", params: ["search_term"]),
        Event(slug: "selectItem", name: "select_item", params: list),
        Event(slug: "selectPromotion", name: "select_promotion", params: promotion),
        Event(slug: "signUp", name: "sign_up", params: ["method"]),
        Event(slug: "viewCart", name: "view_cart", params: cart, currency: .eventOrFirstItem(strict: false)),
        Event(slug: "viewItem", name: "view_item", params: cart, currency: .verify),
        Event(slug: "viewItemList", name: "view_item_list", params: list),
        Event(
            slug: "viewPromotion", name: "view_promotion", params: promotion,
            missingItemMessage: "One of item id or item name is required."),
    ]

    // MARK: - The request

    static func request(_ event: Event, _ payload: [String: JSONValue], _ settings: [String: JSONValue]) throws(ActionFailure) -> HTTPRequestSpec {
        let apiSecret = try settings.requiredSetting("apiSecret")
        var body: [String: JSONValue] = [:]
        let query: String
        if payload.text("data_stream_type") == "Mobile App" {
            guard let appID = settings.text("firebaseAppId") else { throw .invalidSettings("Firebase App ID is required for mobile app streams") }
            guard let instance = payload.text("app_instance_id") else { throw discard("Firebase App Instance ID is required for mobile app streams") }
            query = "api_secret=\(apiSecret)&firebase_app_id=\(appID)"
            body["app_instance_id"] = .string(instance)
        } else {
            guard let measurementID = settings.text("measurementId") else { throw .invalidSettings("Measurement ID is required for web streams") }
            guard let clientID = payload.text(event.clientIDKey) else { throw discard("Client ID is required for web streams") }
            query = "api_secret=\(apiSecret)&measurement_id=\(measurementID)"
            body["client_id"] = .string(clientID)
        }

        let items = try checkedItems(event, payload)
        try verifyParams(payload["params"])
        try verifyUserProperties(payload["user_properties"])

        var params: [String: JSONValue] = [:]
        for key in event.params { params[key] = payload[key] }
        if event.hasItems { params["items"] = .array(items) }
        params["engagement_time_msec"] = payload["engagement_time_msec"]
        if case .object(let extra)? = payload["params"] { params.merge(extra) { _, new in new } }

        body["user_id"] = payload["user_id"]
        body["events"] = [["name": .string(eventName(event, payload)), "params": .object(params)]]
        if case .object(let properties)? = payload["user_properties"] {
            body["user_properties"] = .object(properties.mapValues { ["value": $0] })
        }
        if let timestamp = payload["timestamp_micros"], JavaScript.isTruthy(timestamp) {
            body["timestamp_micros"] = timestampMicros(timestamp)
        }
        let userData = payload["ad_user_data_consent"].flatMap { JavaScript.isTruthy($0) ? $0 : nil }
        let personalization = payload["ad_personalization_consent"].flatMap { JavaScript.isTruthy($0) ? $0 : nil }
        if userData != nil || personalization != nil {
            var consent: [String: JSONValue] = [:]
            consent["ad_user_data"] = payload["ad_user_data_consent"]
            consent["ad_personalization"] = payload["ad_personalization_consent"]
            body["consent"] = .object(consent)
        }
        return .json("https://www.google-analytics.com/mp/collect?\(query)", body: .object(body))
    }

    /// The event name: the action's, or for `customEvent` Segment's `normalizeEventName` of the `name` field.
    static func eventName(_ event: Event, _ payload: [String: JSONValue]) -> String {
        if let name = event.name { return name }
        let trimmed = (payload.text("name") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let name = String(String.UnicodeScalarView(trimmed.unicodeScalars.map { $0.properties.isWhitespace ? "_" : $0 }))
        return payload["lowercase"]?.boolValue == true ? name.lowercased() : name
    }

    /// The currency checks and the items, checked, in Segment's order.
    static func checkedItems(_ event: Event, _ payload: [String: JSONValue]) throws(ActionFailure) -> [JSONValue] {
        let items = payload["items"]?.arrayValue
        if event.requiresSomeItem, let items, items.isEmpty {
            throw discard("Google requires one or more products in add_payment_info events.")
        }
        let currency = payload["currency"]
        switch event.currency {
        case .none: break
        case .verify:
            if let currency { try verifyCurrency(currency) }
        case .valueNeedsCurrency, .eventOrFirstItem:
            if let currency { try verifyCurrency(currency) }
            if JavaScript.isTruthy(payload["value"] ?? .null), currency == nil {
                throw discard("Currency is required if value is set.")
            }
            if case .eventOrFirstItem(let strict) = event.currency, currency == nil {
                let first = items?.first?["currency"]
                if strict ? first == nil : !JavaScript.isTruthy(first ?? .null) {
                    throw discard("One of item-level currency or top-level currency is required.")
                }
            }
        }
        guard event.hasItems, let items else { return [] }
        for item in items {
            if item["item_name"] == nil, item["item_id"] == nil { throw discard(event.missingItemMessage) }
            if let currency = item["currency"], JavaScript.isTruthy(currency) { try verifyCurrency(currency) }
        }
        return items
    }

    /// Segment's `verifyCurrency`: a 3-letter ISO 4217 code, in any case.
    static func verifyCurrency(_ value: JSONValue) throws(ActionFailure) {
        let code = javaScriptString(value)
        guard !currencyCodes.contains(code.uppercased()) else { return }
        throw discard("\(code) is not a valid currency code.")
    }

    /// Segment's `verifyParams`: no `null`, array (but `items`) or object.
    static func verifyParams(_ params: JSONValue?) throws(ActionFailure) {
        guard case .object(let params)? = params else { return }
        for key in params.keys.sorted() {
            let kind: String
            switch params[key]! {
            case .array where key == "items": continue
            case .array: kind = "Array"
            case .null: kind = "NULL"
            case .object: kind = "object"
            default: continue
            }
            throw discard(
                "Param [\(key)] has unsupported value of type [\(kind)]. "
                    + "GA4 does not accept null, array, or object values for event parameters and item parameters.")
        }
    }

    /// Segment's `verifyUserProps`: no array or object (`null` is accepted).
    static func verifyUserProperties(_ properties: JSONValue?) throws(ActionFailure) {
        guard case .object(let properties)? = properties else { return }
        for key in properties.keys.sorted() {
            let kind: String
            switch properties[key]! {
            case .array: kind = "Array"
            case .object: kind = "object"
            default: continue
            }
            throw discard("Param [\(key)] has unsupported value of type [\(kind)]. GA4 does not accept array or object values for user properties.")
        }
    }

    /// Segment's `convertTimestamp`: text that is a number is that number; other text `Date.parse(…) * 1000`
    /// (an ISO 8601 time, UTC when it has no zone), `null` (NaN) when unreadable.
    static func timestampMicros(_ value: JSONValue) -> JSONValue {
        let text = javaScriptString(value)
        let number = JavaScript.stringToNumber(text)
        if !number.isNaN { return .number(number) }
        guard let date = Timestamps.parseAssumingUTC(text) else { return .null }
        return .number((date.timeIntervalSince1970 * 1000).rounded() * 1000)
    }

    static func javaScriptString(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): s
        case .number(let n): JavaScript.numberToString(n)
        case .bool(let b): b ? "true" : "false"
        default: String(decoding: JSONWriter.encode(value), as: UTF8.self)
        }
    }

    static func discard(_ message: String) -> ActionFailure {
        ActionFailure(outcome: .discarded(reason: message))
    }

    /// Segment's `CURRENCY_ISO_CODES`.
    static let currencyCodes: Set<String> = Set(
        """
        AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF \
        CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD \
        HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL \
        MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD \
        RUB RWF SAR SBD SCR SDG SEK SGD SHP SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN \
        UYI UYU UYW UZS VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWC
        """.split(separator: " ").map(String.init))
}

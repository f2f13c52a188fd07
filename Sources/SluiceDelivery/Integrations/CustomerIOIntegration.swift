import Foundation
import SluiceCore

/// Customer.io (Actions), catalog id `5f7dd78fe27ce7ff2b8bfa37`: the person, event and device actions of Segment's
/// `customerio` destination, building the same requests to Customer.io's Track API v2.
///
/// Destination settings: `siteId` and `apiKey` (both required; every request is authenticated with `Authorization:
/// Basic base64(<siteId>:<apiKey>)`, as Segment's `extendRequest` sends them), `accountRegion` (`US 🇺🇸`, the default,
/// or `EU 🇪🇺`: `https://track.customer.io` or `https://track-eu.customer.io`; any other value is the US).
///
/// Each event is one entity of the Track API: `POST /api/v2/entity` with the entity as JSON, or with
/// `enable_batching` (on in the catalog's presets) `POST /api/v2/batch` with `{"batch": [entities]}`, up to
/// `batch_size` (default 50, at most 100) a request. Every entity has `"type": "person"` and:
///
/// | action | entity |
/// | --- | --- |
/// | `createUpdatePerson` | `"action": "identify"`, `attributes` (the traits, with `created_at`, `email` and `anonymous_id`), `cio_relationships` with the object of `group_id` (type `object_type_id`, default `1`) and its `relationship_attributes` |
/// | `trackEvent` | `"action": "event"`, `name`, `id` (the message id), `timestamp`, `attributes` (the properties) |
/// | `trackPageView` | `"action": "page"`, `name` (the URL), `id` when there is one, `timestamp`, `attributes` |
/// | `trackScreenView` | `"action": "screen"`, `name`, `id` when there is one, `timestamp`, `attributes` |
/// | `createUpdateDevice` | `"action": "add_device"`, `device` `{"token", "platform", "last_used", "attributes"}` (`app_version` among the attributes) |
/// | `deleteDevice` | `"action": "delete_device"`, `device` `{"token"}` |
///
/// As in Segment's `buildPayload`: `identifiers` is `{"cio_id"}` for a person id `cio_…`, `{"email"}` for a person id
/// that is an email, else `{"id"}`, else the `email`, else `{"anonymous_id"}`; the anonymous id is also an attribute
/// unless it is the identifier. With `convert_timestamp` every ISO 8601 text in the entity (objects searched
/// throughout, arrays not) becomes Unix seconds; `timestamp` always does when it is a readable time and not already
/// digits.
///
/// The catalog's other actions (`createUpdateObject`, `deleteObject`, `deletePerson`, `deleteRelationship`,
/// `mergePeople`, `suppressPerson`, `unsuppressPerson`, `reportDeliveryEvent`, `reportContentEvent`) are not
/// implemented: their events are discarded with `unsupported action <slug>`.
///
/// Where Sluice differs: the catalog's `createUpdatePerson` has no `timestamp` field (Segment's current code has
/// one), so a person's entity carries a timestamp only when the subscription maps one; `timestamp` text that is not
/// ISO 8601 is read as ``Timestamps`` reads it, not with dayjs's fallback to `Date.parse` (so `Mar 25 2015` stays
/// text); a batch's answer is its status for every event, as in Segment. JSON members are in sorted order, not
/// Segment's insertion order.
public struct CustomerIOIntegration: ActionsIntegration {
    /// The catalog id of Customer.io (Actions).
    public static let metadataID = "5f7dd78fe27ce7ff2b8bfa37"

    public let runtime: ActionsRuntime

    /// Creates the integration with the actions' fields from the catalog entry.
    public init(metadata: DestinationMetadata?) {
        let actions: [(slug: String, action: String, entity: @Sendable ([String: JSONValue]) -> [String: JSONValue])] = [
            ("createUpdatePerson", "identify", Self.person),
            ("trackEvent", "event", Self.event),
            ("trackPageView", "page", Self.pageView),
            ("trackScreenView", "screen", Self.screenView),
            ("createUpdateDevice", "add_device", Self.device),
            ("deleteDevice", "delete_device", Self.deletedDevice),
        ]
        runtime = ActionsRuntime(
            actions: actions.map { (slug, action, entity) -> ActionImplementation in
                ActionImplementation(
                    slug: slug,
                    perform: { payload, settings throws(ActionFailure) in
                        [try Self.request(settings, path: "entity", body: Self.buildEntity(action: action, entity(payload)))]
                    },
                    batch: .init(
                        defaultSize: 50, maxSize: 100,
                        request: { payloads, settings throws(ActionFailure) in
                            let batch = payloads.map { JSONValue.object(Self.buildEntity(action: action, entity($0))) }
                            return try Self.request(settings, path: "batch", body: ["batch": .array(batch)])
                        }))
            },
            metadata: metadata)
    }

    // MARK: - Requests

    /// Segment's `trackApiEndpoint`.
    static func trackServer(_ settings: [String: JSONValue]) -> String {
        settings.text("accountRegion") == "EU 🇪🇺" ? "https://track-eu.customer.io" : "https://track.customer.io"
    }

    /// A Track API v2 request to `path` (`entity` or `batch`), authenticated with the site id and API key.
    static func request(_ settings: [String: JSONValue], path: String, body: [String: JSONValue]) throws(ActionFailure) -> HTTPRequestSpec {
        let siteID = try settings.requiredSetting("siteId")
        let apiKey = try settings.requiredSetting("apiKey")
        return .json(
            "\(trackServer(settings))/api/v2/\(path)", body: .object(body),
            headers: [HTTPRequestSpec.basicAuthorization(user: siteID, password: apiKey)])
    }

    // MARK: - Each action's entity (its mapPayload)

    static func person(_ payload: [String: JSONValue]) -> [String: JSONValue] {
        var entity = payload
        for key in ["id", "custom_attributes", "relationship_attributes", "created_at", "group_id", "object_type_id"] { entity[key] = nil }
        var attributes = payload["custom_attributes"]?.objectValue ?? [:]
        for key in ["createdAt", "created_at", "object_type_id", "relationshipAttributes", "objectTypeId"] { attributes[key] = nil }
        if let created = payload["created_at"], JavaScript.isTruthy(created) { attributes["created_at"] = created }
        if let email = payload["email"], JavaScript.isTruthy(email) { attributes["email"] = email }
        entity["person_id"] = payload["id"]
        entity["attributes"] = .object(attributes)
        if let group = payload["group_id"], JavaScript.isTruthy(group) {
            let typeID = payload["object_type_id"].flatMap { $0 == .null ? nil : $0 } ?? "1"
            var relationship: [String: JSONValue] = ["identifiers": ["object_type_id": typeID, "object_id": group]]
            if let attributes = payload["relationship_attributes"], JavaScript.isTruthy(attributes) {
                relationship["relationship_attributes"] = attributes
            }
            entity["cio_relationships"] = [.object(relationship)]
        }
        return entity
    }

    static func event(_ payload: [String: JSONValue]) -> [String: JSONValue] {
        var entity = renamed(payload, ["id": "person_id", "data": "attributes"])
        entity["id"] = payload["event_id"]
        return entity
    }

    static func pageView(_ payload: [String: JSONValue]) -> [String: JSONValue] {
        var entity = renamed(payload, ["id": "person_id", "url": "name", "data": "attributes"])
        if let id = payload["event_id"], JavaScript.isTruthy(id) { entity["id"] = id }
        return entity
    }

    static func screenView(_ payload: [String: JSONValue]) -> [String: JSONValue] {
        var entity = renamed(payload, ["id": "person_id", "data": "attributes"])
        if let id = payload["event_id"], JavaScript.isTruthy(id) { entity["id"] = id }
        return entity
    }

    static func device(_ payload: [String: JSONValue]) -> [String: JSONValue] {
        var entity = payload
        for key in ["app_version", "device_id", "platform", "last_used", "attributes"] { entity[key] = nil }
        var attributes = payload["attributes"]?.objectValue ?? [:]
        if let version = payload["app_version"], JavaScript.isTruthy(version) { attributes["app_version"] = version }
        var device: [String: JSONValue] = ["attributes": .object(attributes)]
        device["token"] = payload["device_id"]
        device["platform"] = payload["platform"]
        device["last_used"] = payload["last_used"]
        entity["device"] = .object(device)
        return entity
    }

    static func deletedDevice(_ payload: [String: JSONValue]) -> [String: JSONValue] {
        var entity = payload
        entity["device_id"] = nil
        var device: [String: JSONValue] = [:]
        device["token"] = payload["device_id"]
        entity["device"] = .object(device)
        return entity
    }

    /// The payload without `event_id` and with the keys of `names` renamed.
    static func renamed(_ payload: [String: JSONValue], _ names: [String: String]) -> [String: JSONValue] {
        var entity = payload
        entity["event_id"] = nil
        for from in names.keys { entity[from] = nil }
        for (from, to) in names { entity[to] = payload[from] }
        return entity
    }

    // MARK: - buildPayload

    /// Segment's `buildPayload`: the entity of an action's mapped payload.
    static func buildEntity(action: String, _ mapped: [String: JSONValue]) -> [String: JSONValue] {
        var rest = mapped
        for key in ["convert_timestamp", "person_id", "anonymous_id", "email", "object_id", "object_type_id", "timestamp"]
            + DestinationMetadata.batchingKeys.sorted()
        {
            rest[key] = nil
        }
        if mapped["convert_timestamp"] != nil, mapped["convert_timestamp"] != .bool(false) { rest = convertAttributeTimestamps(rest) }
        if let timestamp = mapped["timestamp"], JavaScript.isTruthy(timestamp) { rest["timestamp"] = convertValidTimestamp(timestamp) }
        var body: [String: JSONValue] = ["type": "person", "action": .string(action)]
        body.merge(rest) { _, new in new }
        let anonymousID = mapped["anonymous_id"].flatMap { JavaScript.isTruthy($0) ? $0 : nil }
        if let anonymousID {
            var attributes = body["attributes"]?.objectValue ?? [:]
            attributes["anonymous_id"] = anonymousID
            body["attributes"] = .object(attributes)
        }
        if action != "merge" {
            let identifiers = resolveIdentifiers(
                anonymousID: anonymousID, email: mapped["email"], objectID: mapped["object_id"], objectTypeID: mapped["object_type_id"],
                personID: mapped["person_id"])
            body["identifiers"] = identifiers.map(JSONValue.object)
            if identifiers?["anonymous_id"] != nil, case .object(var attributes)? = body["attributes"] {
                attributes["anonymous_id"] = nil
                body["attributes"] = .object(attributes)
            }
        }
        return body
    }

    /// Segment's `resolveIdentifiers`.
    static func resolveIdentifiers(
        anonymousID: JSONValue?, email: JSONValue?, objectID: JSONValue?, objectTypeID: JSONValue?, personID: JSONValue?
    ) -> [String: JSONValue]? {
        let truthy = { (value: JSONValue?) -> JSONValue? in value.flatMap { JavaScript.isTruthy($0) ? $0 : nil } }
        let typeID = objectTypeID ?? "1"
        if let objectID = truthy(objectID), JavaScript.isTruthy(typeID) { return ["object_id": objectID, "object_type_id": typeID] }
        if case .string(let person)? = personID, person.hasPrefix("cio_") { return ["cio_id": .string(String(person.dropFirst(4)))] }
        if case .string(let person)? = personID, isEmail(person) { return ["email": .string(person)] }
        if let person = truthy(personID) { return ["id": person] }
        if let email = truthy(email) { return ["email": email] }
        if let anonymousID = truthy(anonymousID) { return ["anonymous_id": anonymousID] }
        return nil
    }

    /// Ajv's `email` format (`ajv-formats` full), as Segment's `isEmail` tests it.
    static func isEmail(_ text: String) -> Bool {
        text.wholeMatch(
            of:
                #/(?i)[a-z0-9!#$%&'*+\/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+\/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?/#
        ) != nil
    }

    // MARK: - Timestamps

    /// Segment's `convertValidTimestamp`: text that is a readable time becomes Unix seconds; anything else, and text
    /// of digits (already a Unix time), stays.
    static func convertValidTimestamp(_ value: JSONValue) -> JSONValue {
        guard case .string(let text) = value, text.wholeMatch(of: #/\d+(\.\d+)?/#) == nil else { return value }
        if let seconds = isoUnixSeconds(text) ?? value.epochMillis.map({ ($0 / 1000).rounded(.down) }) { return .number(seconds) }
        return value
    }

    /// Segment's `convertAttributeTimestamps`: every ISO 8601 text member, in objects at any depth, as Unix seconds.
    static func convertAttributeTimestamps(_ object: [String: JSONValue]) -> [String: JSONValue] {
        object.mapValues { (value: JSONValue) -> JSONValue in
            switch value {
            case .string(let text): isoUnixSeconds(text).map(JSONValue.number) ?? value
            case .object(let inner): .object(convertAttributeTimestamps(inner))
            default: value
            }
        }
    }

    /// The Unix seconds of text that Segment's `isIsoDate` accepts (`YYYY-MM-DD`, optionally `THH:mm[:ss][.s…]`
    /// with `Z` or `±hh[:]mm`), `nil` for other text; a time without a zone is UTC (Segment's servers' zone).
    static func isoUnixSeconds(_ text: String) -> Double? {
        let pattern = #/(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?)?/#
        guard let match = text.wholeMatch(of: pattern) else { return nil }
        let (year, month, day) = (Int(match.1)!, Int(match.2)!, Int(match.3)!)
        let (hour, minute, second) = (match.4.flatMap { Int($0) } ?? 0, match.5.flatMap { Int($0) } ?? 0, match.6.flatMap { Int($0) } ?? 0)
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day), hour <= 24, minute <= 59, second <= 59,
            hour < 24 || (minute == 0 && second == 0)
        else { return nil }
        var offset = 0
        if let zone = match.7, zone != "Z" {
            let digits = zone.dropFirst().filter(\.isNumber)
            let hours = Int(digits.prefix(2))!
            let minutes = Int(digits.suffix(2))!
            guard hours <= 23, minutes <= 59 else { return nil }
            offset = (zone.first == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
        }
        return Double(daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

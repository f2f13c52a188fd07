import Foundation
import Hummingbird
import SluiceCore
import SluiceDelivery

/// Failed events and their replay: a Sluice extension under `/sluice/` (issue 17).
///
/// An event whose delivery gave up (discarded by the receiver, or expired after the retry window) is kept, with its
/// reason, for `--failed-event-retention` (7 days by default), while its destination exists.
/// `GET /sluice/failed-events` lists them, newest first; `POST /sluice/failed-events/replay` puts a selection back into
/// delivery as new attempts with their original message ids, and records one `Destination Failed Events Replayed`
/// audit event per destination.
struct FailedEventsController {
    let services: AppServices
    /// Wakes the delivery workers after a replay.
    let wake: PipelineSignal

    /// The most ids one replay may name.
    static let maxIDs = 1000

    func register(on router: Router<SluiceRequestContext>) {
        router.get("/sluice/failed-events") { request, context in try await list(request, context) }
        router.post("/sluice/failed-events/replay") { request, context in try await replay(request, context) }
    }

    /// Lists failed events, filtered by `destinationId`, `subscriptionId`, `messageId`, `status` and a `failedAt`
    /// range (`startTime`, `endTime`); paginated as Segment's lists are.
    func list(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let query = Query(request.uri.query)
        let page = try query.pagination()
        let filter = try await self.filter(
            destinationID: query["destinationId"], subscriptionID: query["subscriptionId"], messageID: query["messageId"],
            status: query["status"], startTime: query["startTime"], endTime: query["endTime"])
        let result = try await services.store.failedEvents(filter, page: page)
        return Responses.list(context, key: "failedEvents", page: result, bytes: 1024 * result.items.count) { event, w in
            Self.write(event, into: &w)
        }
    }

    /// Replays the failed events a body selects: `ids`, or any of `destinationId`, `subscriptionId`, `messageId`,
    /// `status`, `startTime`, `endTime` (all given must match). At least one of `ids`, `destinationId`, `messageId` or
    /// `startTime` is required, so that "everything" is never replayed by mistake.
    func replay(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let fields = Fields(object: try await RequestBody.object(request))
        var filter = try await self.filter(
            destinationID: try fields.string("destinationId"), subscriptionID: try fields.string("subscriptionId"),
            messageID: try fields.string("messageId"), status: try fields.string("status"), startTime: try fields.string("startTime"),
            endTime: try fields.string("endTime"))
        if let ids = try fields.strings("ids") {
            guard !ids.isEmpty, ids.count <= Self.maxIDs else {
                throw APIError.validation("ids must name 1 to \(Self.maxIDs) failed events", field: "ids")
            }
            filter.ids = try ids.map { text in
                guard let id = Int64(text), id > 0 else {
                    throw APIError.validation("ids must be failed event ids such as \"42\", got \"\(text.prefix(40))\"", field: "ids")
                }
                return id
            }
        }
        guard filter.ids != nil || filter.destinationID != nil || filter.messageID != nil || filter.startTime != nil else {
            throw APIError.validation(
                "Name what to replay: ids, destinationId, messageId or startTime (with any of subscriptionId, status, endTime)", field: "ids")
        }
        let actor = context.actor
        let minting = services.minting
        let replayed = try await services.store.replayFailedEvents(filter, at: minting.now()) { counts in
            counts.keys.sorted().map { destinationID in
                minting.audit(
                    AuditEventType.failedEventsReplayed, actor: actor, id: destinationID, resourceType: "destination",
                    name: "\(counts[destinationID]!) events")
            }
        }
        if replayed > 0 { wake.notify() }
        return Responses.data(context) { w in
            w.key("replayed")
            w.number(Double(replayed))
        }
    }

    /// The filter both operations read; an unknown destination is a 404, a bad status or time a 422 naming it.
    private func filter(
        destinationID: String?, subscriptionID: String?, messageID: String?, status: String?, startTime: String?, endTime: String?
    ) async throws -> FailedEventFilter {
        var filter = FailedEventFilter(subscriptionID: subscriptionID, messageID: messageID)
        if let destinationID {
            guard try await services.store.destination(id: destinationID) != nil else {
                throw APIError(.notFound, type: "NotFound", message: "No destination with id \(destinationID)", field: "destinationId")
            }
            filter.destinationID = destinationID
        }
        if let status {
            guard let value = FailedEventStatus(rawValue: status) else {
                throw APIError.validation(
                    "status must be one of \(FailedEventStatus.allCases.map(\.rawValue).joined(separator: ", "))", field: "status")
            }
            filter.status = value
        }
        filter.startTime = try Self.time(startTime, field: "startTime")
        filter.endTime = try Self.time(endTime, field: "endTime")
        return filter
    }

    static func time(_ text: String?, field: String) throws -> Date? {
        guard let text else { return nil }
        guard let date = Timestamps.parse(text) else {
            throw APIError.validation("\(field) must be an ISO 8601 date-time such as 2024-01-02T15:04:05Z", field: field)
        }
        return date
    }

    static func write(_ event: FailedEvent, into w: inout JSONWriter) {
        w.raw("{")
        w.key("id")
        w.string(String(event.id))
        for (key, value) in [
            ("sourceId", event.sourceID), ("destinationId", event.destinationID), ("subscriptionId", event.subscriptionID),
            ("messageId", event.messageID), ("receivedAt", Timestamps.format(event.receivedAt)),
            ("failedAt", Timestamps.format(event.failedAt)), ("status", event.status.rawValue), ("reason", event.reason),
        ] {
            w.raw(",")
            w.key(key)
            w.string(value)
        }
        w.raw(",")
        w.key("attempts")
        w.number(Double(event.attempts))
        w.raw(",")
        w.key("event")
        // The stored event is the JSON the Tracking API normalized; anything else would be a store fault, shown as null.
        if let value = try? JSONValue.parse(event.body) { w.value(value) } else { w.null() }
        w.raw("}")
    }
}

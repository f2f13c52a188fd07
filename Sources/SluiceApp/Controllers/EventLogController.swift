import Foundation
import Hummingbird
import SluiceCore

/// A destination's event log: a Sluice extension under `/sluice/` (issue 17).
///
/// `GET /sluice/destinations/{destinationId}/event-log` lists the destination's recent delivery attempts, newest
/// first: the event (message id, type, name, user), the subscription, the attempt's number, time, status and reason,
/// and the request that carried it (method, URL, body) with the receiver's status and the start of its answer. Headers
/// are never kept; the values of the destination's secret settings are replaced by `[redacted]`; bodies are kept only
/// with `--event-log-bodies on` (the default). Search by `messageId`, `userId`, `anonymousId`, `subscriptionId`,
/// `status` and an `attemptedAt` range (`startTime`, `endTime`); paginated as Segment's lists are.
struct EventLogController {
    let services: AppServices

    func register(on router: Router<SluiceRequestContext>) {
        router.get("/sluice/destinations/:destinationId/event-log") { request, context in try await list(request, context) }
    }

    func list(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let query = Query(request.uri.query)
        let page = try query.pagination()
        let destination = try await services.destination(in: context)
        var filter = DeliveryAttemptFilter(
            destinationID: destination.id, messageID: query["messageId"], userID: query["userId"], anonymousID: query["anonymousId"],
            subscriptionID: query["subscriptionId"])
        if let status = query["status"] {
            guard let value = DeliveryAttemptStatus(rawValue: status) else {
                throw APIError.validation(
                    "status must be one of \(DeliveryAttemptStatus.allCases.map(\.rawValue).joined(separator: ", "))", field: "status")
            }
            filter.status = value
        }
        filter.startTime = try FailedEventsController.time(query["startTime"], field: "startTime")
        filter.endTime = try FailedEventsController.time(query["endTime"], field: "endTime")
        let result = try await services.store.deliveryAttempts(filter, page: page)
        return Responses.list(context, key: "attempts", page: result, bytes: 2048 * result.items.count) { attempt, w in
            Self.write(attempt, into: &w)
        }
    }

    static func write(_ attempt: DeliveryAttempt, into w: inout JSONWriter) {
        w.raw("{")
        w.key("id")
        w.string(String(attempt.id))
        let texts: [(String, String?)] = [
            ("sourceId", attempt.sourceID), ("destinationId", attempt.destinationID), ("subscriptionId", attempt.subscriptionID),
            ("messageId", attempt.messageID), ("eventType", attempt.eventType), ("eventName", attempt.eventName),
            ("userId", attempt.userID), ("anonymousId", attempt.anonymousID), ("attemptedAt", Timestamps.format(attempt.attemptedAt)),
            ("status", attempt.status.rawValue), ("reason", attempt.reason),
        ]
        for (key, value) in texts { field(key, value, into: &w) }
        w.raw(",")
        w.key("attempt")
        w.number(Double(attempt.attempt))
        w.raw(",")
        w.key("request")
        guard let request = attempt.request else {
            w.null()
            w.raw(",")
            w.key("response")
            w.null()
            w.raw("}")
            return
        }
        w.raw("{")
        w.key("method")
        w.string(request.method)
        field("url", request.url, into: &w)
        field("body", request.body.map { String(decoding: $0, as: UTF8.self) }, into: &w)
        w.raw(",")
        w.key("bodyTruncated")
        w.bool(request.bodyTruncated)
        w.raw(",")
        w.key("events")
        w.number(Double(request.events))
        field("batchKey", request.key, into: &w)
        w.raw(",")
        w.key("durationMs")
        w.number(Double(request.durationMillis))
        w.raw("},")
        w.key("response")
        guard let status = request.status else {
            w.null()
            w.raw("}")
            return
        }
        w.raw("{")
        w.key("status")
        w.number(Double(status))
        field("body", request.response.map { String(decoding: $0, as: UTF8.self) }, into: &w)
        w.raw("}}")
    }

    /// `,"key":"value"`, or `,"key":null`.
    private static func field(_ key: String, _ value: String?, into w: inout JSONWriter) {
        w.raw(",")
        w.key(key)
        if let value { w.string(value) } else { w.null() }
    }
}

import Foundation
import Hummingbird
import SluiceCore
import SluiceDelivery

/// Segment's Tracking API on the same server: `POST /v1/{track,identify,page,screen,group,alias,batch}`.
///
/// Authenticated by a source's write key (HTTP Basic user name, or `writeKey` in the body), not by
/// a Public API token. Each message is checked and normalized (``TrackingAPI``); the request is
/// answered `{"success": true}` only once its events are committed. A batch with one bad message
/// is refused whole, naming the index. Events to a disabled source are accepted and not delivered.
///
/// A refusal whose write key names a source (in the Basic header, or the body once it parses) is counted for the
/// Delivery Overview's failed-on-ingest step with its ``DiscardReason``: the messages of a refused batch, or 1 when
/// they cannot be counted. An unknown write key belongs to no source and is not counted there (docs/delivery.md).
///
/// While more events wait to be routed than `--max-routing-backlog` (``RoutingBacklog``), every request is refused
/// with 503 and `Retry-After` before its body is read, and counted in `/metrics`
/// (`sluice_ingest_backpressure_total`), not in the Delivery Overview: the client sends it again (Segment's libraries
/// retry a 503), so it is neither received nor lost.
struct TrackingController {
    let writer: EventWriter
    let stats: PipelineStats
    let keys: WriteKeyCache
    let backlog: RoutingBacklog

    func register(on router: Router<SluiceRequestContext>) {
        for type in TrackingAPI.MessageType.allCases {
            router.post(RouterPath("/v1/\(type.rawValue)")) { request, context in try await ingest(request, context, type: type) }
        }
        router.post("/v1/batch") { request, context in try await ingest(request, context, type: nil) }
    }

    func ingest(_ request: Request, _ context: SluiceRequestContext, type: TrackingAPI.MessageType?) async throws -> Response {
        guard MediaType.isAcceptableBody(contentType: request.headers[.contentType]) || request.headers[.contentType]?.hasPrefix("text/plain") == true
        else {
            throw APIError(.unsupportedMediaType, type: "UnsupportedMediaType", message: "Send the body as JSON: Content-Type: application/json")
        }
        if backlog.isFull, let limit = backlog.limit {
            stats.recordBackpressure()
            throw APIError.unavailable(
                "Routing is behind: \(backlog.pending) events wait to be routed, at least the bound of \(limit) (--max-routing-backlog). Send again after Retry-After"
            )
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > TrackingAPI.maxRequestBytes {
            await refuse(request, body: nil, reason: DiscardReason.tooLarge)
            throw APIError(.contentTooLarge, type: "PayloadTooLarge", message: "The request body is over the limit of 500 KB")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await RequestBody.collect(request, upTo: TrackingAPI.maxRequestBytes, limitText: "500 KB")
        } catch let error as APIError where error.status == .contentTooLarge {
            await refuse(request, body: nil, reason: DiscardReason.tooLarge)
            throw error
        }
        let body: JSONValue
        do {
            body = try JSONValue.parse(buffer.readableBytesView)
        } catch {
            await refuse(request, body: nil, reason: DiscardReason.invalidJSON)
            throw APIError.badRequest("The request body is not valid JSON: \(error.description)")
        }
        guard let writeKey = BasicAuthorization.user(request.headers[.authorization]) ?? TrackingAPI.writeKey(body: body),
            let sourceID = try await keys.sourceID(for: writeKey)
        else {
            throw APIError(
                .unauthorized, type: "Unauthorized",
                message: "A valid source write key is required: send it as the HTTP Basic user name, or as writeKey in the body")
        }
        let receivedAt = Date.now
        // What a refusal counts, worked out first: the body is given up to normalization, which then changes its only
        // copy in place.
        let count = type == nil ? Int64(Swift.max(1, body["batch"]?.arrayValue?.count ?? 1)) : 1
        let messages: [JSONValue]
        do throws(ValidationError) {
            if let type {
                messages = [try TrackingAPI.normalize(consume body, type: type, receivedAt: receivedAt)]
            } else {
                messages = try TrackingAPI.normalizeBatch(consume body, receivedAt: receivedAt)
            }
        } catch {
            writer.refuse(sourceID: sourceID, reason: DiscardReason.of(error), count: count, at: receivedAt)
            throw error
        }
        let events = messages.map { message in
            IncomingEvent(
                sourceID: sourceID, messageID: message["messageId"]?.stringValue ?? Identifier.make(), receivedAt: receivedAt,
                body: JSONWriter.encode(message))
        }
        let routedAtIngest = try await writer.append(events)
        stats.recordIngested(events.count)
        // Events committed as their jobs never wait to be routed.
        if !routedAtIngest { backlog.add(events.count) }
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"success":true}"#)))
    }
}

extension TrackingController {
    /// Counts a refused request for the source its write key names, when it names one.
    private func refuse(_ request: Request, body: JSONValue?, reason: String) async {
        guard let writeKey = BasicAuthorization.user(request.headers[.authorization]) ?? body.flatMap(TrackingAPI.writeKey(body:)),
            let sourceID = try? await keys.sourceID(for: writeKey)
        else { return }
        writer.refuse(sourceID: sourceID, reason: reason, count: 1, at: Date.now)
    }
}

/// Remembers which source a write key belongs to for a few seconds, so that ingest costs no store read per request.
final class WriteKeyCache: Sendable {
    private let store: any Store
    private let cache = ExpiringCache<String>()

    init(store: any Store) { self.store = store }

    func sourceID(for writeKey: String) async throws -> String? {
        guard writeKey.utf8.count <= 128 else { return nil }
        if let sourceID = cache.value(for: writeKey) { return sourceID }
        guard let source = try await store.source(writeKey: writeKey) else { return nil }
        cache.store(source.id, for: writeKey)
        return source.id
    }
}

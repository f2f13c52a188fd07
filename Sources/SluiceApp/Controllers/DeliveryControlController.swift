import Foundation
import Hummingbird
import SluiceCore
import SluiceDelivery

/// Pausing, resuming and throttling delivery to a destination: a Sluice extension under `/sluice/` (issue 17; Segment has
/// no such controls).
///
/// `GET /sluice/destinations/{destinationId}/delivery` answers what stands between the destination and its next delivery:
/// a pause (since when), a rate limit, a hold (a vendor's `Retry-After`, the rate limit, or the next probe of a failing
/// destination), and the circuit breaker (when its current run of failed attempts began, and when it was marked failing).
/// `POST …/delivery/pause` holds its events: the router still makes their jobs, and the workers pass them over, across
/// restarts. `POST …/delivery/resume` lets them go, due ones first. Jobs whose retry window closed while the destination
/// was paused expire when it is resumed, without an attempt, as after an outage. Attempts already under way when the
/// pause is committed finish. Both are idempotent, and each change records an audit event. Disabling a destination is
/// unchanged: its events are dropped, as at Segment. `PATCH …/delivery` sets or removes the rate limit
/// (`{"rateLimit": {"eventsPerSecond": 50}}`, or `{"rateLimit": null}`), held by every process on one database.
struct DeliveryControlController {
    let services: AppServices
    /// Wakes the delivery workers when a destination is resumed or its limit changes.
    let wake: PipelineSignal

    func register(on router: Router<SluiceRequestContext>) {
        let base = "/sluice/destinations/:destinationId/delivery"
        router.get(RouterPath(base)) { _, context in try await state(context) }
        router.patch(RouterPath(base)) { request, context in try await update(request, context) }
        router.post(RouterPath(base + "/pause")) { _, context in try await change(context, pause: true) }
        router.post(RouterPath(base + "/resume")) { _, context in try await change(context, pause: false) }
    }

    /// The destination's delivery state.
    func state(_ context: SluiceRequestContext) async throws -> Response {
        let destination = try await services.destination(in: context)
        return try await answer(destination.id, context)
    }

    /// Pauses or resumes; records `Destination Delivery Paused` or `Destination Delivery Resumed` when the state changes.
    func change(_ context: SluiceRequestContext, pause: Bool) async throws -> Response {
        let destination = try await services.destination(in: context)
        let audit = services.minting.audit(
            pause ? AuditEventType.deliveryPaused : AuditEventType.deliveryResumed, actor: context.actor, id: destination.id,
            resourceType: "destination", name: destination.name)
        let changed = try await services.store.setDeliveryPaused(
            destinationID: destination.id, at: pause ? audit.timestamp : nil, audit: [audit])
        if changed, !pause { wake.notify() }
        return try await answer(destination.id, context)
    }

    /// Sets or removes the rate limit; records `Destination Delivery Rate Limit Changed` when it changes.
    func update(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let body = try await RequestBody.object(request)
        let destination = try await services.destination(in: context)
        if let unknown = body.keys.sorted().first(where: { $0 != "rateLimit" }) {
            throw APIError.validation("Unknown field \(unknown.prefix(60)): only rateLimit can be changed", field: String(unknown.prefix(60)))
        }
        guard let value = body["rateLimit"] else { throw APIError.validation("rateLimit is required (an object, or null)", field: "rateLimit") }
        let limit = try Self.rateLimit(value)
        let audit = services.minting.audit(
            AuditEventType.deliveryRateLimitChanged, actor: context.actor, id: destination.id, resourceType: "destination",
            name: destination.name)
        if try await services.store.setDeliveryRateLimit(destinationID: destination.id, eventsPerSecond: limit, at: audit.timestamp, audit: [audit]) {
            wake.notify()
        }
        return try await answer(destination.id, context)
    }

    /// `{"eventsPerSecond": N}` (N > 0, at most ``DestinationDeliveryState/maximumRateLimit``), or `null` for none.
    static func rateLimit(_ value: JSONValue) throws -> Double? {
        if value.isNull { return nil }
        guard let object = value.objectValue else {
            throw APIError.validation("rateLimit must be an object such as {\"eventsPerSecond\": 50}, or null", field: "rateLimit")
        }
        if let unknown = object.keys.sorted().first(where: { $0 != "eventsPerSecond" }) {
            throw APIError.validation("Unknown field rateLimit.\(unknown.prefix(60))", field: "rateLimit.\(unknown.prefix(60))")
        }
        let maximum = DestinationDeliveryState.maximumRateLimit
        guard let rate = object["eventsPerSecond"]?.numberValue, rate.isFinite, rate > 0, rate <= maximum else {
            throw APIError.validation(
                "rateLimit.eventsPerSecond must be a number above 0 and at most \(Int(maximum))", field: "rateLimit.eventsPerSecond")
        }
        return rate
    }

    private func answer(_ destinationID: String, _ context: SluiceRequestContext) async throws -> Response {
        let state = try await services.store.deliveryState(destinationID: destinationID)
        let now = services.minting.now()
        return Responses.data(context) { w in
            func time(_ key: String, _ date: Date?) {
                w.raw(",")
                w.key(key)
                if let date { w.string(Timestamps.format(date)) } else { w.null() }
            }
            w.key("delivery")
            w.raw("{")
            w.key("destinationId")
            w.string(destinationID)
            w.raw(",")
            w.key("paused")
            w.bool(state.pausedAt != nil)
            time("pausedAt", state.pausedAt)
            w.raw(",")
            w.key("rateLimit")
            if let rate = state.rateLimit {
                w.raw("{")
                w.key("eventsPerSecond")
                w.number(rate)
                w.raw("}")
            } else {
                w.null()
            }
            time("heldUntil", state.heldUntil.flatMap { $0 > now ? $0 : nil })
            w.raw(",")
            w.key("failing")
            w.bool(state.failingSince != nil)
            time("failingSince", state.failingSince)
            time("failuresSince", state.failingFrom)
            w.raw("}")
        }
    }
}

extension AppServices {
    /// The destination the path's `destinationId` names; 404 when there is none.
    func destination(in context: SluiceRequestContext) async throws -> Destination {
        let id = try Identifier.pathID(context.parameters.get("destinationId"), resource: "destination")
        guard let destination = try await store.destination(id: id) else {
            throw APIError.notFound("No destination with id \(id)")
        }
        return destination
    }
}

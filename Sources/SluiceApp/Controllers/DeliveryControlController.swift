import Foundation
import Hummingbird
import SluiceCore
import SluiceDelivery

/// Pausing and resuming delivery to a destination: a Sluice extension under `/sluice/` (issue 17; Segment has no pause).
///
/// `GET /sluice/destinations/{destinationId}/delivery` answers whether delivery to the destination is paused, and since
/// when. `POST …/delivery/pause` holds its events: the router still makes their jobs, and the workers pass them over,
/// across restarts. `POST …/delivery/resume` lets them go, due ones first. Jobs whose retry window closed while the
/// destination was paused expire when it is resumed, without an attempt, as after an outage. Attempts already under way
/// when the pause is committed finish. Both are idempotent, and each change records an audit event. Disabling a
/// destination is unchanged: its events are dropped, as at Segment.
struct DeliveryControlController {
    let services: AppServices
    /// Wakes the delivery workers when a destination is resumed.
    let wake: PipelineSignal

    func register(on router: Router<SluiceRequestContext>) {
        let base = "/sluice/destinations/:destinationId/delivery"
        router.get(RouterPath(base)) { _, context in try await state(context) }
        router.post(RouterPath(base + "/pause")) { _, context in try await change(context, pause: true) }
        router.post(RouterPath(base + "/resume")) { _, context in try await change(context, pause: false) }
    }

    /// The destination's delivery state.
    func state(_ context: SluiceRequestContext) async throws -> Response {
        let destination = try await services.destination(in: context)
        return answer(destination.id, pausedAt: try await services.store.deliveryPausedAt(destinationID: destination.id), context)
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
        return answer(destination.id, pausedAt: try await services.store.deliveryPausedAt(destinationID: destination.id), context)
    }

    private func answer(_ destinationID: String, pausedAt: Date?, _ context: SluiceRequestContext) -> Response {
        Responses.data(context) { w in
            w.key("delivery")
            w.raw("{")
            w.key("destinationId")
            w.string(destinationID)
            w.raw(",")
            w.key("paused")
            w.bool(pausedAt != nil)
            w.raw(",")
            w.key("pausedAt")
            if let pausedAt { w.string(Timestamps.format(pausedAt)) } else { w.null() }
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

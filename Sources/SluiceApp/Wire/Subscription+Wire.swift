import Foundation
import SluiceCatalog
import SluiceCore

extension WireEncoder {
    /// The members both shapes open with: id, name, actionId, actionSlug, destinationId.
    private static func subscriptionHead(_ s: Subscription, into w: inout JSONWriter) {
        w.raw("{\"id\":")
        w.string(s.id)
        w.raw(",\"name\":")
        w.string(s.name)
        w.raw(",\"actionId\":")
        w.string(s.actionID)
        w.raw(",\"actionSlug\":")
        w.string(s.actionSlug)
        w.raw(",\"destinationId\":")
        w.string(s.destinationID)
    }

    /// The list and get shape: id, name, actionId, actionSlug, destinationId, modelId, enabled, trigger, settings.
    static func subscription(_ s: Subscription, fields: [ActionField], into w: inout JSONWriter) {
        subscriptionHead(s, into: &w)
        w.raw(",\"modelId\":")
        w.string(s.modelID)
        w.raw(",\"enabled\":")
        w.bool(s.enabled)
        w.raw(",\"trigger\":")
        w.string(s.trigger)
        w.raw(",\"settings\":")
        w.value(.object(SubscriptionUseCase.masked(s.settings, fields: fields)))
        w.raw("}")
    }

    /// The update answer's shape (Segment's `DestinationSubscription` of the update operation).
    static func updatedSubscription(_ s: Subscription, fields: [ActionField], into w: inout JSONWriter) {
        subscriptionHead(s, into: &w)
        w.raw(",\"reverseETLModelId\":")
        w.string(s.modelID)
        w.raw(",\"trigger\":")
        w.string(s.trigger)
        w.raw(",\"enabled\":")
        w.bool(s.enabled)
        w.raw(",\"settings\":")
        w.value(.object(SubscriptionUseCase.masked(s.settings, fields: fields)))
        w.raw(",\"createdAt\":")
        w.string(Timestamps.format(s.createdAt))
        w.raw(",\"updatedAt\":")
        w.string(Timestamps.format(s.updatedAt))
        w.raw(",\"relatedResources\":[]}")
    }
}

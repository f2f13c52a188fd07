import Foundation
import SluiceCore

extension WireEncoder {
    /// `DestinationFilterV1`.
    static func filter(_ f: DestinationFilter, into w: inout JSONWriter) {
        w.raw("{\"id\":")
        w.string(f.id)
        w.raw(",\"sourceId\":")
        w.string(f.sourceID)
        w.raw(",\"destinationId\":")
        w.string(f.destinationID)
        w.raw(",\"if\":")
        w.string(f.condition)
        w.raw(",\"actions\":")
        w.value(.array(f.actions))
        w.raw(",\"title\":")
        w.string(f.title)
        if let description = f.description {
            w.raw(",\"description\":")
            w.string(description)
        }
        w.raw(",\"enabled\":")
        w.bool(f.enabled)
        w.raw(",\"createdAt\":")
        w.string(Timestamps.format(f.createdAt))
        w.raw(",\"updatedAt\":")
        w.string(Timestamps.format(f.updatedAt))
        w.raw("}")
    }
}

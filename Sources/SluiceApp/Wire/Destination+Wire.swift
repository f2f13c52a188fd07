import Foundation
import SluiceCatalog
import SluiceCore

extension WireEncoder {
    /// `DestinationV1`: id, enabled, name, settings (secrets masked), metadata, sourceId.
    func destination(_ d: Destination, into w: inout JSONWriter) {
        w.raw("{\"id\":")
        w.string(d.id)
        w.raw(",\"enabled\":")
        w.bool(d.enabled)
        w.raw(",\"name\":")
        w.string(d.name)
        w.raw(",\"settings\":")
        w.value(.object(DestinationSettings.mask(catalog.secretNames(destination: d.metadataID), settings: d.settings)))
        w.raw(",\"metadata\":")
        if let json = catalog.destinationJSON(id: d.metadataID) {
            w.raw(json)
        } else {
            w.value(Self.missingDestinationMetadata(id: d.metadataID))
        }
        w.raw(",\"sourceId\":")
        w.string(d.sourceID)
        w.raw("}")
    }
}

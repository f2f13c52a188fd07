import Foundation
import SluiceCatalog
import SluiceCore

extension WireEncoder {
    /// `DestinationV1`: id, enabled, name, settings (secrets masked), metadata, sourceId.
    func destination(_ d: Destination, into w: inout JSONWriter) {
        destination(id: d.id, enabled: d.enabled, name: d.name, metadataID: d.metadataID, sourceID: d.sourceID, into: &w) { w in
            w.value(.object(DestinationSettings.mask(catalog.secretNames(destination: d.metadataID), settings: d.settings)))
        }
    }

    /// `DestinationV1` of a destination as stored, its settings already masked and encoded (``DestinationAnswers``).
    func destination(_ d: StoredDestination, maskedSettings: [UInt8], into w: inout JSONWriter) {
        destination(id: d.id, enabled: d.enabled, name: d.name, metadataID: d.metadataID, sourceID: d.sourceID, into: &w) { w in
            w.raw(maskedSettings)
        }
    }

    private func destination(
        id: String, enabled: Bool, name: String, metadataID: String, sourceID: String, into w: inout JSONWriter,
        settings: (inout JSONWriter) -> Void
    ) {
        w.raw("{\"id\":")
        w.string(id)
        w.raw(",\"enabled\":")
        w.bool(enabled)
        w.raw(",\"name\":")
        w.string(name)
        w.raw(",\"settings\":")
        settings(&w)
        w.raw(",\"metadata\":")
        if let json = catalog.destinationJSON(id: metadataID) {
            w.raw(json)
        } else {
            w.value(Self.missingDestinationMetadata(id: metadataID))
        }
        w.raw(",\"sourceId\":")
        w.string(sourceID)
        w.raw("}")
    }
}

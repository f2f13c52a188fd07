import Foundation
import SluiceCatalog
import SluiceCore

extension WireEncoder {
    /// `SourceV1`: id, slug, name, workspaceId, enabled, writeKeys, metadata, settings, labels.
    func source(_ s: Source, into w: inout JSONWriter) {
        w.raw("{\"id\":")
        w.string(s.id)
        w.raw(",\"slug\":")
        w.string(s.slug)
        if let name = s.name {
            w.raw(",\"name\":")
            w.string(name)
        }
        w.raw(",\"workspaceId\":")
        w.string(s.workspaceID)
        w.raw(",\"enabled\":")
        w.bool(s.enabled)
        w.raw(",\"writeKeys\":")
        w.value(.array(s.writeKeys.map(JSONValue.string)))
        w.raw(",\"metadata\":")
        if let json = catalog.sourceJSON(id: s.metadataID) {
            w.raw(json)
        } else {
            w.value(Self.missingSourceMetadata(id: s.metadataID))
        }
        w.raw(",\"settings\":")
        w.value(.object(DestinationSettings.mask(catalog.secretNames(source: s.metadataID), settings: s.settings)))
        w.raw(",\"labels\":[")
        for (i, label) in s.labels.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"key\":")
            w.string(label.key)
            w.raw(",\"value\":")
            w.string(label.value)
            if let description = label.description {
                w.raw(",\"description\":")
                w.string(description)
            }
            w.raw("}")
        }
        w.raw("]}")
    }
}

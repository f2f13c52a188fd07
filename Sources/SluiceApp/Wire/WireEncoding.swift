import Foundation
import SluiceCatalog
import SluiceCore

/// Writes Sluice's resources in Segment's wire shapes, splicing in catalog JSON that was encoded once.
struct WireEncoder: Sendable {
    let catalog: Catalog

    /// `DestinationV1`: id, enabled, name, settings (secrets masked), metadata, sourceId.
    func destination(_ d: Destination, into w: inout JSONWriter) {
        let metadata = catalog.destination(id: d.metadataID)
        w.raw("{\"id\":")
        w.string(d.id)
        w.raw(",\"enabled\":")
        w.bool(d.enabled)
        w.raw(",\"name\":")
        w.string(d.name)
        w.raw(",\"settings\":")
        w.value(.object(DestinationSettings.mask(options: metadata?.options ?? [], settings: d.settings)))
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
        w.value(.object(DestinationSettings.mask(options: catalog.source(id: s.metadataID)?.options ?? [], settings: s.settings)))
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

    /// The audit event (`AuditEventV1`).
    static func auditEvent(_ e: AuditEvent, into w: inout JSONWriter) {
        w.raw("{\"id\":")
        w.string(e.id)
        w.raw(",\"timestamp\":")
        w.string(Timestamps.format(e.timestamp))
        w.raw(",\"type\":")
        w.string(e.type)
        w.raw(",\"actor\":")
        w.string(e.actor)
        w.raw(",\"resourceId\":")
        w.string(e.resourceID)
        w.raw(",\"resourceType\":")
        w.string(e.resourceType)
        w.raw(",\"resourceName\":")
        w.string(e.resourceName)
        w.raw("}")
    }

    /// Stands in for a catalog entry that an imported catalog no longer has, in the schema's shape.
    static func missingDestinationMetadata(id: String) -> JSONValue {
        [
            "id": .string(id), "name": "", "description": "", "slug": "", "logos": ["default": ""], "options": [],
            "status": "UNAVAILABLE", "categories": [], "website": "", "components": [], "previousNames": [],
            "supportedMethods": [:], "supportedPlatforms": [:], "supportedFeatures": [:], "actions": [], "presets": [],
            "contacts": [], "partnerOwned": false,
        ]
    }

    static func missingSourceMetadata(id: String) -> JSONValue {
        [
            "id": .string(id), "name": "", "slug": "", "description": "", "logos": ["default": ""], "options": [],
            "categories": [], "isCloudEventSource": false,
        ]
    }
}

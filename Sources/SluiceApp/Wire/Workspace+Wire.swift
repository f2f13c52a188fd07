import Foundation
import SluiceCore

extension WireEncoder {
    /// `WorkspaceV1`: id, name, slug.
    static func workspace(_ workspace: Workspace, into w: inout JSONWriter) {
        w.raw("{\"id\":")
        w.string(workspace.id)
        w.raw(",\"name\":")
        w.string(workspace.name)
        w.raw(",\"slug\":")
        w.string(workspace.slug)
        w.raw("}")
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
}

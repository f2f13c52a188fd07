import Foundation
import SluiceCore

/// Token revocation and write-key rotation, as the CLI offers them (`sluice token ...`,
/// `sluice write-key ...`). Each change is one store transaction with its audit event; neither
/// the token's text nor a write key is written to the audit trail.
public enum Credentials {
    /// Revokes the token `id`. Processes that verified it in the last few seconds accept it until their cache expires.
    ///
    /// - Throws: ``StoreError/notFound(resource:id:)``.
    public static func revokeToken(id: String, store: any Store, actor: String) async throws {
        let audit = AuditEvent(
            timestamp: .now, type: AuditEventType.tokenDeleted, actor: actor, resourceID: id, resourceType: "token", resourceName: "token")
        try await store.deleteToken(id: id, audit: [audit])
    }

    /// Adds a new write key to the source and returns it; the source's other keys keep working.
    ///
    /// - Throws: ``StoreError/notFound(resource:id:)``.
    public static func createWriteKey(sourceID: String, store: any Store, actor: String) async throws -> String {
        let key = Identifier.writeKey()
        _ = try await store.updateSource(id: sourceID) { source in
            var updated = source
            updated.writeKeys.append(key)
            updated.updatedAt = .now
            return (updated, [audit(AuditEventType.writeKeyCreated, source: source, actor: actor)])
        }
        return key
    }

    /// Removes a write key from its source. The last key of a source cannot be removed (create another first).
    ///
    /// - Throws: ``StoreError/notFound(resource:id:)`` for an unknown source or a key it does not have;
    ///   ``StoreError/conflict(_:)`` for its last key.
    public static func revokeWriteKey(sourceID: String, key: String, store: any Store, actor: String) async throws {
        _ = try await store.updateSource(id: sourceID) { source in
            guard source.writeKeys.contains(key) else { throw StoreError.notFound(resource: "write key of source", id: sourceID) }
            guard source.writeKeys.count > 1 else {
                throw StoreError.conflict("This is the source's only write key: create another first (sluice write-key create)")
            }
            var updated = source
            updated.writeKeys.removeAll { $0 == key }
            updated.updatedAt = .now
            return (updated, [audit(AuditEventType.writeKeyDeleted, source: source, actor: actor)])
        }
    }

    private static func audit(_ type: String, source: Source, actor: String) -> AuditEvent {
        AuditEvent(
            timestamp: .now, type: type, actor: actor, resourceID: source.id, resourceType: "source", resourceName: source.name ?? source.slug)
    }
}

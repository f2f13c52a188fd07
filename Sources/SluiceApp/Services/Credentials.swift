import Foundation
import SluiceCore

/// Token revocation and write-key rotation, as the CLI offers them (`sluice token ...`,
/// `sluice write-key ...`). Each change is one store transaction with its audit event; neither
/// the token's text nor a write key is written to the audit trail.
public enum Credentials {
    /// Revokes the token `id`. Processes that verified it in the last few seconds accept it until their cache expires.
    ///
    /// - Throws: ``StoreError/notFound(resource:id:)``.
    public static func revokeToken(id: String, store: any Store, actor: String, minting: Minting = .system) async throws {
        try await store.deleteToken(id: id, audit: TokenUseCase.revoke(id: id, actor: actor, minting: minting))
    }

    /// Adds a new write key to the source and returns it; the source's other keys keep working.
    ///
    /// - Throws: ``StoreError/notFound(resource:id:)``.
    public static func createWriteKey(sourceID: String, store: any Store, actor: String, minting: Minting = .system) async throws -> String {
        let key = minting.writeKey()
        _ = try await store.updateSource(id: sourceID) { source in
            SourceUseCase.addWriteKey(key, to: source, actor: actor, minting: minting).pair
        }
        return key
    }

    /// Removes a write key from its source. The last key of a source cannot be removed (create another first).
    ///
    /// - Throws: ``StoreError/notFound(resource:id:)`` for an unknown source or a key it does not have;
    ///   ``StoreError/conflict(_:)`` for its last key.
    public static func revokeWriteKey(sourceID: String, key: String, store: any Store, actor: String, minting: Minting = .system) async throws {
        _ = try await store.updateSource(id: sourceID) { source in
            try SourceUseCase.removeWriteKey(key, from: source, actor: actor, minting: minting).pair
        }
    }
}

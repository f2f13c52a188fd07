import Crypto
import Foundation
import SluiceCore

/// Creates and verifies Public API tokens. The store keeps only their SHA-256 hashes.
///
/// Verified tokens are remembered in memory for a few seconds so that a busy client
/// does not cost a store read per request.
public final class TokenAuthenticator: Sendable {
    let store: any Store
    let minting: Minting
    private let cache = ExpiringCache<APIToken>()

    public init(store: any Store, minting: Minting = .system) {
        self.store = store
        self.minting = minting
    }

    /// The hex SHA-256 of a token's text.
    public static func hash(_ token: String) -> String {
        // Hex by hand: String(format:) costs microseconds a byte on Linux, and this runs on every request.
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: Array(token.utf8)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// A new token's text: `sluice_` and 40 base62 characters.
    public static func newTokenText() -> String { "sluice_" + Identifier.random(length: 40) }

    /// The token whose text is `text`, or `nil`.
    ///
    /// The hash is looked up by index; the stored hash is then compared in constant time.
    public func verify(_ text: String) async throws -> APIToken? {
        let hash = Self.hash(text)
        if let hit = cache.value(for: hash), Self.constantTimeEquals(hit.hash, hash) { return hit }
        guard let token = try await store.token(hash: hash), Self.constantTimeEquals(token.hash, hash) else { return nil }
        cache.store(token, for: hash)
        return token
    }

    /// Stores `text` as a token unless it exists already. Returns whether it was created.
    @discardableResult
    public func ensure(_ text: String, readOnly: Bool = false, actor: String) async throws -> Bool {
        let hash = Self.hash(text)
        if try await store.token(hash: hash) != nil { return false }
        let created = TokenUseCase.create(hash: hash, readOnly: readOnly, actor: actor, minting: minting)
        do {
            try await store.createToken(created.resource, audit: created.audit)
        } catch StoreError.conflict {
            // Another process sharing the database stored the same token between the read and the write.
            return false
        }
        return true
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}

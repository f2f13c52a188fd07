import Foundation
import SluiceCore
import Testing

@testable import SluiceSQLite

/// The store of `--database memory`: a file of its own in the temporary folder, removed at close.
@Suite struct SQLiteTemporaryStoreTests {
    @Test func theMemoryStoreIsAPrivateFileOfItsOwnRemovedAtClose() async throws {
        let store = try SQLiteStore.temporary()
        let path = try #require(store.temporaryPath)
        #expect(path.hasPrefix(FileManager.default.temporaryDirectory.path))
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o600)
        // Two stores share nothing
        let other = try SQLiteStore.temporary()
        #expect(other.temporaryPath != path)
        let source = try await storedSource(store)
        #expect(try await store.source(id: source.id)?.id == source.id)
        #expect(try await other.source(id: source.id) == nil)
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        // Closing removes the file and its WAL
        try await store.close()
        try await other.close()
        for suffix in ["", "-wal", "-shm"] { #expect(!FileManager.default.fileExists(atPath: path + suffix), "\(suffix)") }
    }
}

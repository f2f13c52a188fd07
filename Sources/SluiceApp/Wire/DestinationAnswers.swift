import Foundation
import SluiceCatalog
import SluiceCore
import Synchronization

/// Destinations' settings as answers show them (parsed, secrets opened and masked, encoded), worked out once per
/// stored settings text (issue 20).
///
/// `GET /destinations/{id}` and the lists used to parse every destination's settings JSON, open its sealed secrets,
/// mask them and encode the result on every request: most of the CPU of a list of 200. Those bytes depend only on
/// the stored settings text and on the catalog entry's secret names (fixed for the process), so they are kept by
/// destination id together with the text they came from, and used again only while the row read for the request
/// holds exactly that text (compared byte for byte: `hasSameBytes(as:)`). Every answer still reads its row from the
/// store: a write through this process or any other (PostgreSQL) shows in the next answer, as before; what is saved
/// is turning unchanged text into the same bytes again.
///
/// Bounded: at most ``byteLimit`` bytes of kept text and answers; a settings object that would pass it empties the
/// cache first (so a store of more destinations than fit costs what every answer cost before, no more).
final class DestinationAnswers: Sendable {
    /// What one destination's masked settings were worked out from, and the result.
    private struct Entry {
        let metadataID: String
        let settingsText: String
        let masked: [UInt8]

        var size: Int { settingsText.utf8.count + masked.count }
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var bytes = 0
    }

    /// The default bound: about 8,000 destinations of typical settings.
    static let defaultByteLimit = 32 << 20

    let byteLimit: Int
    private let catalog: Catalog
    private let cipher: (any SecretCipher)?
    private let state = Mutex(State())

    /// - Parameters:
    ///   - catalog: the served catalog, whose options say which settings are secret.
    ///   - cipher: opens sealed secrets; `nil` for a store that is not sealed (its settings are stored in clear).
    init(catalog: Catalog, cipher: (any SecretCipher)?, byteLimit: Int = DestinationAnswers.defaultByteLimit) {
        self.catalog = catalog
        self.cipher = cipher
        self.byteLimit = byteLimit
    }

    /// The settings object of `destination`'s answer, as JSON: what
    /// `JSONWriter.value(.object(DestinationSettings.mask(...)))` writes for its settings opened.
    ///
    /// - Throws: what opening a sealed secret throws (``SecretError``), as reading the destination did.
    func maskedSettings(_ destination: StoredDestination) throws -> [UInt8] {
        if let entry = state.withLock({ $0.entries[destination.id] }), entry.metadataID == destination.metadataID,
            entry.settingsText.hasSameBytes(as: destination.settingsText)
        {
            return entry.masked
        }
        // As the engines read a settings column (`Store.object`): a value that is not an object reads as empty.
        var settings = (try? JSONValue.parse(destination.settingsText))?.objectValue ?? [:]
        if let cipher { settings = try SecretSealing.open(settings, cipher: cipher) }
        let masked = JSONWriter.encode(
            .object(DestinationSettings.mask(catalog.secretNames(destination: destination.metadataID), settings: settings)))
        remember(Entry(metadataID: destination.metadataID, settingsText: destination.settingsText, masked: masked), id: destination.id)
        return masked
    }

    /// Drops what is kept for a destination (deleted: its row is gone, so nothing would use it again).
    func forget(id: String) {
        state.withLock { state in
            if let old = state.entries.removeValue(forKey: id) { state.bytes -= old.size }
        }
    }

    /// How many destinations have settings kept, and their bytes (tests and diagnostics).
    var usage: (entries: Int, bytes: Int) { state.withLock { ($0.entries.count, $0.bytes) } }

    private func remember(_ entry: Entry, id: String) {
        let size = entry.size
        guard size <= byteLimit else { return }
        state.withLock { state in
            if let old = state.entries.removeValue(forKey: id) { state.bytes -= old.size }
            if state.bytes + size > byteLimit {
                state.entries.removeAll(keepingCapacity: true)
                state.bytes = 0
            }
            state.entries[id] = entry
            state.bytes += size
        }
    }
}

import Synchronization

/// A small in-memory map whose entries are forgotten a few seconds after they were stored.
///
/// Credentials are looked up on every request; remembering the store's answer briefly saves a
/// store read per request while a revoked key or deleted source stops working within ``lifetime``.
/// Past ``capacity`` entries the map is emptied rather than evicted one by one.
final class ExpiringCache<Value: Sendable>: Sendable {
    private let entries = Mutex<[String: (value: Value, until: ContinuousClock.Instant)]>([:])
    let lifetime: Duration
    let capacity: Int

    init(lifetime: Duration = .seconds(5), capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The value stored for `key`, unless it has expired.
    func value(for key: String) -> Value? {
        let now = ContinuousClock.now
        guard let hit = entries.withLock({ $0[key] }), hit.until > now else { return nil }
        return hit.value
    }

    /// Remembers `value` for `key` for ``lifetime``.
    func store(_ value: Value, for key: String) {
        let until = ContinuousClock.now + lifetime
        entries.withLock { entries in
            if entries.count > capacity { entries.removeAll() }
            entries[key] = (value, until)
        }
    }
}

import Synchronization

/// Runs `work` on each item, at most `limit` at once, and returns the results in the order of `items`: how an
/// integration sends the requests of one delivery concurrently without opening more connections than the pool
/// keeps.
///
/// The work runs in `limit` lanes (fewer when there are fewer items), each a child task that takes the next item not
/// yet taken until none is left: one task a lane, not one an item. Lane `i` prefers `executors[i % count]` when
/// `executors` is not empty; the live sender gives its event loops, so that a lane's requests are written and
/// answered on the loop it runs on, without a thread hop each way.
func concurrentlyMap<Item: Sendable, Result: Sendable>(
    _ items: [Item], limit: Int, on executors: [any TaskExecutor] = [], _ work: @escaping @Sendable (Item) async -> Result
) async -> [Result] {
    let lanes = min(max(limit, 1), items.count)
    guard lanes > 0 else { return [] }
    let taken = NextIndex()
    return await withTaskGroup(of: [(Int, Result)].self) { group in
        for lane in 0..<lanes {
            group.addTask(executorPreference: executors.isEmpty ? nil : executors[lane % executors.count]) {
                var done: [(Int, Result)] = []
                while case let index = taken.take(), index < items.count {
                    done.append((index, await work(items[index])))
                }
                return done
            }
        }
        var results = [Result?](repeating: nil, count: items.count)
        for await part in group {
            for (index, result) in part { results[index] = result }
        }
        return results.map { $0! }
    }
}

/// The lanes' shared count of items taken.
private final class NextIndex: Sendable {
    private let next = Atomic<Int>(0)

    func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
}

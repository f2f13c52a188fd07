/// Runs `work` on each item, at most `limit` at once, and returns the results in the order of `items`: how an
/// integration sends the requests of one delivery concurrently without opening more connections than the pool
/// keeps.
func concurrentlyMap<Item: Sendable, Result: Sendable>(
    _ items: [Item], limit: Int, _ work: @escaping @Sendable (Item) async -> Result
) async -> [Result] {
    var results = [Result?](repeating: nil, count: items.count)
    await withTaskGroup(of: (Int, Result).self) { group in
        var next = 0
        func startNext() {
            guard next < items.count else { return }
            let (index, item) = (next, items[next])
            next += 1
            group.addTask { (index, await work(item)) }
        }
        for _ in 0..<max(limit, 1) { startNext() }
        for await (index, result) in group {
            results[index] = result
            startNext()
        }
    }
    return results.map { $0! }
}

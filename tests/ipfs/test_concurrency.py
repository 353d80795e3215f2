"""Many clients at once: nothing is lost and every CID can be fetched back."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from ogpu.ipfs import publish_to_ipfs

from ogpu_sim.ipfs import IpfsServer, cid_v0

THREADS = 8
UPLOADS_PER_THREAD = 200


def test_8_threads_x_200_sdk_uploads_lose_nothing(sdk_ipfs: IpfsServer) -> None:
    def upload(worker: int) -> list[tuple[dict[str, int], str]]:
        results = []
        for i in range(UPLOADS_PER_THREAD):
            payload = {"worker": worker, "i": i}
            results.append((payload, publish_to_ipfs(payload, retries=1)))
        return results

    with ThreadPoolExecutor(THREADS) as pool:
        uploads = [item for chunk in pool.map(upload, range(THREADS)) for item in chunk]

    assert len(uploads) == THREADS * UPLOADS_PER_THREAD
    assert len(sdk_ipfs.store) == THREADS * UPLOADS_PER_THREAD
    assert len(sdk_ipfs.requests.where(route="/file/create", status=200)) == len(uploads)

    def fetch_all(chunk: list[tuple[dict[str, int], str]]) -> list[bool]:
        with requests.Session() as session:
            return [session.get(link, timeout=10).json() == payload for payload, link in chunk]

    chunks = [uploads[i::THREADS] for i in range(THREADS)]
    with ThreadPoolExecutor(THREADS) as pool:
        fetched = [ok for chunk in pool.map(fetch_all, chunks) for ok in chunk]
    assert fetched == [True] * len(uploads)
    assert {link.rsplit("/", 1)[1] for _, link in uploads} == {
        cid_v0(f'{{"worker": {w}, "i": {i}}}'.encode())
        for w in range(THREADS)
        for i in range(UPLOADS_PER_THREAD)
    }

"""
Looks at an emulated object store with the vendor's own Python SDK (from the MLflow venv), not with
mlstore's code: what a cloud-backed `mlstore server` really wrote.

    python cloud_store.py ensure|list|cleanup s3|wasbs|gs <bucket or container> <prefix>

ensure   creates the bucket / container (an existing one is fine)
list     prints {"objects": {key: {"size", "etag", "blocks"}}} for every object under <prefix>/
         (`etag` as the store reports it, quotes stripped; `blocks`: the committed block ids of an
         Azure block blob, else null)
cleanup  deletes every object under <prefix>/

Settings come from the environment an MLflow user would set: MLFLOW_S3_ENDPOINT_URL + AWS_*,
AZURE_STORAGE_CONNECTION_STRING, STORAGE_EMULATOR_HOST.
"""

from __future__ import annotations

import json
import os
import sys


def s3(op: str, bucket: str, prefix: str):
    import boto3

    client = boto3.client("s3", endpoint_url=os.environ["MLFLOW_S3_ENDPOINT_URL"])
    if op == "ensure":
        try:
            client.create_bucket(Bucket=bucket)
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass
        return None
    keys = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/"):
        for o in page.get("Contents", []):
            keys[o["Key"]] = {"size": o["Size"], "etag": o["ETag"].strip('"'), "blocks": None}
    if op == "cleanup":
        for key in keys:
            client.delete_object(Bucket=bucket, Key=key)
        return None
    return keys


def wasbs(op: str, container: str, prefix: str):
    from azure.core.exceptions import ResourceExistsError
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"])
    client = service.get_container_client(container)
    if op == "ensure":
        try:
            client.create_container()
        except ResourceExistsError:
            pass
        return None
    keys = {}
    for b in client.list_blobs(name_starts_with=f"{prefix}/"):
        committed, _ = client.get_blob_client(b.name).get_block_list("committed")
        # The SDK hands block ids back already base64-decoded.
        blocks = [x.id for x in committed]
        keys[b.name] = {"size": b.size, "etag": (b.etag or "").strip('"'), "blocks": blocks}
    if op == "cleanup":
        for key in keys:
            client.delete_blob(key)
        return None
    return keys


def gs(op: str, bucket: str, prefix: str):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    client = storage.Client(project="mlstore-test", credentials=AnonymousCredentials())
    if op == "ensure":
        if client.lookup_bucket(bucket) is None:
            client.create_bucket(bucket)
        return None
    keys = {}
    for b in client.list_blobs(bucket, prefix=f"{prefix}/"):
        keys[b.name] = {"size": b.size, "etag": (b.etag or "").strip('"'), "blocks": None}
    if op == "cleanup":
        bucket_ref = client.bucket(bucket)
        for key in keys:
            bucket_ref.blob(key).delete()
        return None
    return keys


def main() -> int:
    op, scheme, bucket, prefix = sys.argv[1:5]
    keys = {"s3": s3, "wasbs": wasbs, "gs": gs}[scheme](op, bucket, prefix)
    print(json.dumps({"objects": keys} if keys is not None else {"ok": True}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

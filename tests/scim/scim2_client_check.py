"""Drives Roster's SCIM service provider with a real SCIM client library (scim2-client, which
validates every answer against RFC 7643/7644 with scim2-models). Called by tests/it/scim.rs
with the base URL and an organization token; prints one JSON line of what it created, and
exits non-zero on any protocol error."""

import json
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import Email, Group, GroupMember, Name, PatchOp, PatchOperation, SearchRequest, User

base, token = sys.argv[1], sys.argv[2]
http = Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
scim = SyncSCIMClient(http)
scim.discover()

created = scim.create(User(
    user_name="lin@example.com",
    external_id="lib-1",
    display_name="Lin",
    name=Name(given_name="Lin", family_name="Library"),
    emails=[Email(value="lin@example.com", primary=True, type="work")],
    active=True,
))
# The client builds its models from the schemas Roster published (discover), so answers
# are checked against those, not against the library's own User class.
assert type(created).__name__ == "User", created
assert created.id and created.meta and created.meta.version, created

found = scim.query(User, query_parameters=SearchRequest(filter='userName eq "LIN@example.com"'))
assert found.total_results == 1, found
assert found.resources[0].id == created.id

fetched = scim.query(User, created.id)
assert fetched.display_name == "Lin"

group = scim.create(Group(display_name="Engineering", members=[GroupMember(value=created.id)]))
assert type(group).__name__ == "Group" and group.members and group.members[0].value == created.id, group

renamed = scim.modify(User, created.id, PatchOp[User](operations=[
    PatchOperation(op="replace", path="displayName", value="Lin L."),
]))
assert renamed is None or renamed.display_name == "Lin L.", renamed

fetched = scim.query(User, created.id)
fetched.active = False
replaced = scim.replace(fetched)
assert type(replaced).__name__ == "User" and replaced.active is False, replaced

print(json.dumps({"user": created.id, "group": group.id}))

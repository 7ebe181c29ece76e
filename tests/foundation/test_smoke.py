from tests.support.world import login


def test_client_admin_sees_portal_and_members(app, world):
    client = app.test_client()
    login(client, world.email("acme_admin"))
    home = client.get("/client/")
    assert home.status_code == 200
    assert f"Acme {world.suffix}" in home.text
    members = client.get("/organisation/members")
    assert world.email("acme_sourcing") in members.text
    assert world.email("globex_admin") not in members.text

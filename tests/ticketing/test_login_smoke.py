def test_a_fan_logs_in_and_reads_their_missing_profile(fan):
    response = fan.get("/api/users/me/profile")

    assert response.status_code == 404
    assert response.json()["error"] == "profile_not_found"

"""The credentials chain (src/cloud/aws/aws_creds.c) through `aws_tool creds`: its order (feature_store.yaml
settings, environment, shared credentials file, config file, container endpoint, IMDSv2), profiles, the
container and instance-metadata endpoints as stand-in servers on 127.0.0.1, and the refresh of expiring
credentials."""
import datetime
import itertools

from awspeers import StandIn, base_env, json_answer, kv, run_tool


def creds(env, *args, opts=()):
    return run_tool(list(opts) + ["creds"] + list(args), env, check=False)


def iso_in(seconds):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_environment_and_settings_order():
    env = base_env(AWS_ACCESS_KEY_ID="AKIDENV", AWS_SECRET_ACCESS_KEY="envsecret", AWS_SESSION_TOKEN="envtoken")
    r = kv(creds(env).stdout)
    assert (r["source"], r["access_key_id"], r["secret"], r["token"]) == ("environment", "AKIDENV", "envsecret",
                                                                          "envtoken")
    # feature_store.yaml's aws: section comes first
    r = kv(creds(env, opts=["--access-key", "AKIDYAML", "--secret-key", "yamlsecret"]).stdout)
    assert (r["source"], r["access_key_id"], r["token"]) == ("feature_store.yaml", "AKIDYAML", "")
    p = creds(base_env(AWS_ACCESS_KEY_ID="AKIDENV"))
    assert p.returncode == 1 and "AWS_SECRET_ACCESS_KEY is not" in p.stderr


def test_profiles_in_credentials_and_config_files(tmp_path):
    cred = tmp_path / "credentials"
    cred.write_text("# shared credentials\n[default]\naws_access_key_id = AKIDDEFAULT\n"
                    "aws_secret_access_key=defsecret\n\n[dev]\n  aws_access_key_id = AKIDDEV  \n"
                    "aws_secret_access_key = devsecret\naws_session_token = devtoken\n")
    conf = tmp_path / "config"
    conf.write_text("[default]\nregion = eu-west-1\n[profile cfg]\naws_access_key_id = AKIDCFG\n"
                    "aws_secret_access_key = cfgsecret\ns3 =\n  addressing_style = path\n"
                    "[cfg]\naws_access_key_id = AKIDWRONG\naws_secret_access_key = wrong\n")
    files = dict(AWS_SHARED_CREDENTIALS_FILE=str(cred), AWS_CONFIG_FILE=str(conf))
    r = kv(creds(base_env(**files)).stdout)
    assert (r["access_key_id"], r["secret"], r["token"]) == ("AKIDDEFAULT", "defsecret", "")
    assert r["source"] == "profile default (credentials file)"
    r = kv(creds(base_env(AWS_PROFILE="dev", **files)).stdout)
    assert (r["access_key_id"], r["secret"], r["token"]) == ("AKIDDEV", "devsecret", "devtoken")
    # the settings' profile wins over AWS_PROFILE
    r = kv(creds(base_env(AWS_PROFILE="dev", **files), opts=["--profile", "default"]).stdout)
    assert r["access_key_id"] == "AKIDDEFAULT"
    # only in the config file, as [profile cfg] (the bare [cfg] section is not that profile there)
    r = kv(creds(base_env(AWS_PROFILE="cfg", **files)).stdout)
    assert (r["access_key_id"], r["source"]) == ("AKIDCFG", "profile cfg (config file)")
    # the environment comes before the files
    r = kv(creds(base_env(AWS_ACCESS_KEY_ID="AKIDENV", AWS_SECRET_ACCESS_KEY="s", **files)).stdout)
    assert r["access_key_id"] == "AKIDENV"
    p = creds(base_env(AWS_PROFILE="nobody", **files))
    assert p.returncode == 1 and "error not found" in p.stderr
    assert "profile nobody of credentials file" in p.stderr and "AWS_EC2_METADATA_DISABLED" in p.stderr


def test_container_endpoint_with_token_and_refresh():
    counter = itertools.count(1)

    def answer(method, path, headers, body):
        if headers.get("Authorization") != "Bearer tok-123" or path != "/creds":
            return (401, {}, "unauthorized")
        n = next(counter)
        return json_answer({"AccessKeyId": f"ASIACONTAINER{n}", "SecretAccessKey": f"s{n}", "Token": f"t{n}",
                            "Expiration": iso_in(answer.lifetime)})
    answer.lifetime = 3600
    s = StandIn([answer])
    try:
        env = base_env(AWS_CONTAINER_CREDENTIALS_FULL_URI=s.url + "/creds",
                       AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer tok-123")
        # long-lived: fetched once, then served from the cache
        out = creds(env, "3")
        assert out.returncode == 0, out.stderr
        r = kv(out.stdout)
        assert (r["source"], r["access_key_id"], r["token"]) == ("container credentials endpoint", "ASIACONTAINER1",
                                                                 "t1")
        assert r["fetches"] == "1" and len(s.requests) == 1
        assert int(r["expires_at"]) > 0
        # expiring within the refresh window: fetched again each time, and the new ones are used
        answer.lifetime = 60
        out = creds(env, "3", opts=["--refresh-before-s", "300"])
        keys = [line.split("=", 1)[1] for line in out.stdout.splitlines() if line.startswith("access_key_id=")]
        assert keys == ["ASIACONTAINER2", "ASIACONTAINER3", "ASIACONTAINER4"]
        assert kv(out.stdout)["fetches"] == "3"
        # a wrong token is refused by the endpoint: a clear error
        p = creds(dict(env, AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer nope"))
        assert p.returncode == 1 and "AWS container credentials" in p.stderr and "HTTP 401" in p.stderr
    finally:
        s.close()


def test_refresh_failure_keeps_credentials_still_valid():
    answers = [json_answer({"AccessKeyId": "ASIAFIRST", "SecretAccessKey": "s", "Token": "t",
                            "Expiration": iso_in(120)}), (500, {}, "down")]
    s = StandIn(answers)
    try:
        env = base_env(AWS_CONTAINER_CREDENTIALS_FULL_URI=s.url + "/")
        out = creds(env, "3", opts=["--refresh-before-s", "300", "--attempts", "1"])
        assert out.returncode == 0, out.stderr
        keys = [line.split("=", 1)[1] for line in out.stdout.splitlines() if line.startswith("access_key_id=")]
        assert keys == ["ASIAFIRST"] * 3
        assert kv(out.stdout)["fetches"] == "3"
    finally:
        s.close()


def test_instance_metadata_v2():
    def answer(method, path, headers, body):
        if method == "PUT" and path == "/latest/api/token":
            if headers.get("X-aws-ec2-metadata-token-ttl-seconds") != "21600":
                return (400, {}, "no ttl")
            return (200, {}, "IMDS-TOKEN")
        if headers.get("X-aws-ec2-metadata-token") != "IMDS-TOKEN":
            return (401, {}, "")
        if path == "/latest/meta-data/iam/security-credentials/":
            return (200, {}, "feast-role\n")
        if path == "/latest/meta-data/iam/security-credentials/feast-role":
            return json_answer({"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIAIMDS",
                                "SecretAccessKey": "imdssecret", "Token": "imdstoken", "Expiration": iso_in(3600)})
        return (404, {}, "")
    s = StandIn([answer])
    try:
        env = base_env(AWS_EC2_METADATA_DISABLED=None, AWS_EC2_METADATA_SERVICE_ENDPOINT=s.url + "/")
        out = creds(env)
        assert out.returncode == 0, out.stderr
        r = kv(out.stdout)
        assert (r["source"], r["access_key_id"], r["secret"], r["token"]) == ("instance metadata service", "ASIAIMDS",
                                                                              "imdssecret", "imdstoken")
        assert [(m, p) for m, p, _, _ in s.requests] == [
            ("PUT", "/latest/api/token"), ("GET", "/latest/meta-data/iam/security-credentials/"),
            ("GET", "/latest/meta-data/iam/security-credentials/feast-role")]
    finally:
        s.close()

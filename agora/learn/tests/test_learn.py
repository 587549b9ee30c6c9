import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agora.forum.models import Category
from agora.learn.models import Article, ArticleRevision, Resource
from agora.learn.sample_posts import CHINESE_DDPM_POST


@pytest.fixture
def tutorials(db):
    return Category.objects.create(slug="tutorials", name="Tutorials")


def import_file(client, text, name="post.md"):
    return client.post("/learn/import/", {"file": SimpleUploadedFile(name, text.encode())})


@pytest.mark.django_db
def test_a_chinese_blog_post_imports_clean(alice_client, tutorials):
    response = import_file(alice_client, CHINESE_DDPM_POST)
    assert response.status_code == 302
    article = Article.objects.get()
    assert article.title == "扩散模型入门：从 DDPM 到 DDIM"
    assert (article.difficulty, article.language, article.area) == (
        "intermediate",
        "zh-hans",
        "diffusion",
    )
    assert article.series.title == "扩散模型从零开始" and article.series_part == 1
    assert [text for _, _, text in article.toc] == [
        "一、前向过程",
        "二、训练目标",
        "三、训练流程",
        "四、小结",
    ]
    page = alice_client.get(article.get_absolute_url()).content.decode()
    body = page.split('class="post-body"')[1].split("</article>")[0]
    assert "<math" in body and "<ol>" in body and '<pre class="mermaid">' in body
    visible = re.sub(r"<math.*?</math>|<pre class=\"mermaid\">.*?</pre>", "", body, flags=re.DOTALL)
    for source in ("####", "$$", "\\mathbb", "\\mathcal", "---", "difficulty:"):
        assert source not in visible, source
    assert 'href="#一前向过程"' in page or "#%E4%B8%80" in page or 'href="#一、前向过程"' in page
    assert article.topic is not None and article.topic.category == tutorials


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\ntitle: Fine title\nfoo: bar\n---\nBody body body body body", "not understood"),
        ("---\ntitle: Fine title\n", "not closed"),
        ("no title, just a short body that is long enough to pass", "Give the article a title"),
        (
            "---\ntitle: Valid title here\ndifficulty: wizard\n---\n" + "x" * 40,
            "beginner, intermediate or advanced",
        ),
        (
            "---\ntitle: Valid title here\nlanguage: klingon\n---\n" + "x" * 40,
            "Unknown language code",
        ),
    ],
)
def test_bad_imports_are_refused_and_store_nothing(alice_client, tutorials, text, message):
    response = import_file(alice_client, text)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_non_utf8_file_is_refused(alice_client, tutorials):
    response = alice_client.post(
        "/learn/import/", {"file": SimpleUploadedFile("x.md", b"\xff\xfe\x00bad")}
    )
    assert response.status_code == 400 and "not UTF-8" in response.content.decode()


@pytest.mark.django_db
def test_series_parts_are_unique_and_listed(alice_client, tutorials):
    import_file(alice_client, CHINESE_DDPM_POST)
    second = CHINESE_DDPM_POST.replace("part: 1", "part: 2").replace(
        "title: 扩散模型入门", "title: 扩散模型进阶"
    )
    assert import_file(alice_client, second).status_code == 302
    again = import_file(alice_client, second)
    assert again.status_code == 400 and "already exists" in again.content.decode()
    page = alice_client.get(Article.objects.get(series_part=1).get_absolute_url()).content.decode()
    assert "扩散模型进阶" in page


@pytest.mark.django_db
def test_coauthors_edit_with_revisions_others_cannot(
    alice_client, alice, bob, charlie, tutorials, client
):
    import_file(alice_client, CHINESE_DDPM_POST)
    article = Article.objects.get()
    article.authors.add(bob)
    client.force_login(charlie)
    assert (
        client.post(
            f"/learn/{article.slug}/edit/", {"title": "Hijack title", "body": "x" * 30}
        ).status_code
        == 403
    )
    client.force_login(bob)
    new_body = article.body.replace("50 步", "20 步")
    response = client.post(
        f"/learn/{article.slug}/edit/", {"title": article.title, "summary": "", "body": new_body}
    )
    assert response.status_code == 302
    assert ArticleRevision.objects.get().editor == bob
    history = client.get(f"/learn/{article.slug}/revisions/").content.decode()
    assert "<del>50</del>" in history and "<ins>20</ins>" in history


@pytest.mark.django_db
def test_learn_lists_by_area_with_filters(alice_client, tutorials):
    import_file(alice_client, CHINESE_DDPM_POST)
    page = alice_client.get("/learn/").content.decode()
    assert "Diffusion models" in page and "扩散模型入门" in page
    assert "扩散模型入门" not in alice_client.get("/learn/?difficulty=beginner").content.decode()
    assert "扩散模型入门" not in alice_client.get("/learn/?language=en").content.decode()


@pytest.mark.django_db
def test_writing_needs_permission(client, alice):
    client.force_login(alice)
    assert client.get("/learn/write/").status_code == 403  # no Tutorials category: staff only


@pytest.mark.django_db
def test_resource_library_projects_papers_and_i_use_this(alice_client, alice, bob, client):
    Category.objects.create(slug="open-source", name="Open source")
    response = alice_client.post(
        "/learn/resources/add/",
        {
            "kind": "project",
            "title": "TinyDiffusion",
            "url": "https://github.com/example/tiny",
            "licence": "MIT",
            "programming_language": "Python",
            "tags": "diffusion, pytorch",
        },
    )
    assert response.status_code == 302
    project = Resource.objects.get()
    assert list(project.maintainers.all()) == [alice] and project.topic is not None
    client.force_login(bob)
    client.post(f"/learn/resources/{project.id}/use/")
    client.post(f"/learn/resources/{project.id}/use/")
    project.refresh_from_db()
    assert project.use_count == 1
    paper = client.post(
        "/learn/resources/add/",
        {
            "kind": "paper",
            "title": "Denoising Diffusion Probabilistic Models",
            "url": "",
            "arxiv_id": "arXiv:2006.11239",
            "paper_authors": "Ho, Jain, Abbeel",
            "abstract": "We present...",
        },
    )
    assert paper.status_code == 302
    assert Resource.objects.get(kind="paper").url == "https://arxiv.org/abs/2006.11239"
    dup = client.post(
        "/learn/resources/add/", {"kind": "paper", "title": "Again", "arxiv_id": "2006.11239"}
    )
    assert dup.status_code == 400 and "already in the library" in dup.content.decode()
    page = client.get("/learn/resources/?kind=project").content.decode()
    assert "TinyDiffusion" in page and "Denoising" not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("arxiv_id", "not-an-id", "is not an arXiv id"),
        ("url", "javascript:alert(1)", "valid http(s) link"),
    ],
)
def test_invalid_resources_are_refused(alice_client, field, value, message):
    data = {"kind": "paper", "title": "Some paper", "url": "https://example.org/p", "arxiv_id": ""}
    data[field] = value
    response = alice_client.post("/learn/resources/add/", data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Resource.objects.exists()

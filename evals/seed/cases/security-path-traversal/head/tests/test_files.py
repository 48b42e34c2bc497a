from app.files import app


def test_download_serves_an_uploaded_file(uploads):
    uploads.joinpath("report.pdf").write_bytes(b"%PDF")
    response = app.test_client().get("/download?name=report.pdf")
    assert response.status_code == 200
    assert response.data == b"%PDF"

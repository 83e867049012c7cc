#include "app/app.hpp"

int main(int argc, char** argv) { return webui::app::Run(argc, argv); }
